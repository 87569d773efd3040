/* A plain C11 host for three AOT-compiled models (nncc compile ... --header):
 * trains XOR, then the Fashion-MNIST MLP on a subset, saves a checkpoint,
 * reloads it into a fresh session and checks it gives the same predictions,
 * shows that a bad call is refused with a message and changes nothing, and
 * trains the convolutional net for 300 steps.
 *
 *   nncc compile examples/xor.nn -o libxor.so --header xor.h
 *   nncc compile examples/fashion_mlp.nn -o libfashion_mlp.so --header fashion_mlp.h
 *   nncc compile examples/fashion_cnn.nn -o libfashion_cnn.so --header fashion_cnn.h
 *   cc -std=c11 -I. train.c -L. -lxor -lfashion_mlp -lfashion_cnn -lz -o train
 *   ./train /usr/share/datasets/fashion-mnist checkpoint.safetensors
 *
 * Exit status 0 when every check passed. */
#include "fashion_cnn.h"
#include "fashion_mlp.h"
#include "xor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static int failures = 0;

static void check(int ok, const char *what) {
  printf("%s: %s\n", ok ? "ok" : "FAILED", what);
  if (!ok) ++failures;
}

/* The first `count` items of a gzipped IDX file of unsigned bytes
 * (`item_bytes` each), or NULL with a message. */
static unsigned char *read_idx(const char *path, int rank, size_t item_bytes, size_t count) {
  gzFile f = gzopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    return NULL;
  }
  unsigned char header[16];
  size_t header_bytes = 4 + 4 * (size_t)rank;
  unsigned char *data = malloc(item_bytes * count);
  int ok = data && gzread(f, header, (unsigned)header_bytes) == (int)header_bytes && header[2] == 0x08 && header[3] == rank &&
           gzread(f, data, (unsigned)(item_bytes * count)) == (int)(item_bytes * count);
  gzclose(f);
  if (!ok) {
    fprintf(stderr, "%s: not an IDX file of at least %zu items\n", path, count);
    free(data);
    return NULL;
  }
  return data;
}

static void train_xor(void) {
  const float x[8] = {0, 0, 0, 1, 1, 0, 1, 1}, y[4] = {0, 1, 1, 0};
  xor_session *s = xor_create(42);
  if (!s) {
    printf("xor_create failed: %s\n", xor_last_error(NULL));
    ++failures;
    return;
  }
  float loss = 0;
  for (int step = 1; step <= 2000; ++step) {
    if (xor_train_step(s, 4, x, y, &loss) != 0) {
      printf("xor_train_step: %s\n", xor_last_error(s));
      ++failures;
      break;
    }
    if (step % 500 == 0) printf("xor step %4d  loss %.4f\n", step, loss);
  }
  float p[4];
  xor_forward(s, 4, x, p);
  printf("xor(0,0) = %.3f  xor(0,1) = %.3f  xor(1,0) = %.3f  xor(1,1) = %.3f\n", p[0], p[1], p[2], p[3]);
  check(loss < 0.01f && p[0] < 0.5f && p[1] > 0.5f && p[2] > 0.5f && p[3] < 0.5f, "XOR learned (loss < 0.01)");

  int64_t numel = 0;
  float *w1 = xor_param(s, "W1", &numel);
  check(w1 != NULL && numel == 16, "xor_param gives W1's 16 values in place");
  check(xor_param(s, "W9", &numel) == NULL && strstr(xor_last_error(s), "no param 'W9'") != NULL, "an unknown param is refused");
  xor_destroy(s);
}

/* Fraction of rows whose largest score is the label. */
static double accuracy(const float *scores, const int32_t *labels, int64_t n) {
  int64_t correct = 0;
  for (int64_t i = 0; i < n; ++i) {
    int best = 0;
    for (int k = 1; k < 10; ++k)
      if (scores[i * 10 + k] > scores[i * 10 + best]) best = k;
    correct += best == labels[i];
  }
  return (double)correct / (double)n;
}

enum { TRAIN = 6000, TEST = 1000, BATCH = 100, PIXELS = 784 };

/* The convolutional net of examples/fashion_cnn.nn: images as [N, 1, 28, 28]
 * are the same floats as [N, 784]. 300 steps of 20 images. */
static void train_cnn(const float *x, const int32_t *y, const float *tx, const int32_t *ty, float *scores) {
  enum { CNN_BATCH = 20 };
  fashion_cnn_session *s = fashion_cnn_create(0);
  if (!s) {
    printf("fashion_cnn_create failed: %s\n", fashion_cnn_last_error(NULL));
    ++failures;
    return;
  }
  double total = 0;
  for (int b = 0; b < TRAIN / CNN_BATCH; ++b) {
    float loss;
    if (fashion_cnn_train_step(s, CNN_BATCH, x + (size_t)b * CNN_BATCH * PIXELS, y + b * CNN_BATCH, &loss) != 0) {
      printf("train_step: %s\n", fashion_cnn_last_error(s));
      ++failures;
      fashion_cnn_destroy(s);
      return;
    }
    total += loss;
  }
  fashion_cnn_forward(s, TEST, tx, scores);
  double acc = accuracy(scores, ty, TEST);
  printf("fashion cnn  %d steps  train_loss %.4f  test_acc %.4f (first %d test images)\n", TRAIN / CNN_BATCH, total / (TRAIN / CNN_BATCH), acc,
         TEST);
  check(acc > 0.7, "Fashion CNN after 300 steps: test accuracy above 0.7");
  fashion_cnn_destroy(s);
}

static void train_fashion(const char *dir, const char *checkpoint) {
  char path[4096];
  unsigned char *images = NULL, *labels = NULL, *test_images = NULL, *test_labels = NULL;
  snprintf(path, sizeof path, "%s/train-images-idx3-ubyte.gz", dir);
  images = read_idx(path, 3, PIXELS, TRAIN);
  snprintf(path, sizeof path, "%s/train-labels-idx1-ubyte.gz", dir);
  labels = read_idx(path, 1, 1, TRAIN);
  snprintf(path, sizeof path, "%s/t10k-images-idx3-ubyte.gz", dir);
  test_images = read_idx(path, 3, PIXELS, TEST);
  snprintf(path, sizeof path, "%s/t10k-labels-idx1-ubyte.gz", dir);
  test_labels = read_idx(path, 1, 1, TEST);
  float *x = malloc(sizeof(float) * TRAIN * PIXELS), *tx = malloc(sizeof(float) * TEST * PIXELS);
  float *scores = malloc(sizeof(float) * TEST * 10), *scores2 = malloc(sizeof(float) * TEST * 10);
  int32_t y[TRAIN], ty[TEST];
  if (!images || !labels || !test_images || !test_labels || !x || !tx || !scores || !scores2) {
    ++failures;
    goto done;
  }
  for (size_t i = 0; i < (size_t)TRAIN * PIXELS; ++i) x[i] = images[i] / 255.0f;
  for (size_t i = 0; i < (size_t)TEST * PIXELS; ++i) tx[i] = test_images[i] / 255.0f;
  for (int i = 0; i < TRAIN; ++i) y[i] = labels[i];
  for (int i = 0; i < TEST; ++i) ty[i] = test_labels[i];

  fashion_mlp_session *s = fashion_mlp_create(0);
  if (!s) {
    printf("fashion_mlp_create failed: %s\n", fashion_mlp_last_error(NULL));
    ++failures;
    goto done;
  }
  for (int epoch = 1; epoch <= 2; ++epoch) {
    double total = 0;
    for (int b = 0; b < TRAIN / BATCH; ++b) {
      float loss;
      if (fashion_mlp_train_step(s, BATCH, x + (size_t)b * BATCH * PIXELS, y + b * BATCH, &loss) != 0) {
        printf("train_step: %s\n", fashion_mlp_last_error(s));
        ++failures;
        goto destroy;
      }
      total += loss;
    }
    fashion_mlp_forward(s, TEST, tx, scores);
    printf("fashion epoch %d  train_loss %.4f  test_acc %.4f (first %d test images)\n", epoch, total / (TRAIN / BATCH),
           accuracy(scores, ty, TEST), TEST);
  }
  double acc = accuracy(scores, ty, TEST);
  check(acc > 0.75, "Fashion MLP on 6000 images: test accuracy above 0.75");

  /* A label outside [0, 10) is refused before any code runs; nothing changes. */
  int32_t bad[BATCH];
  memcpy(bad, y, sizeof bad);
  bad[3] = 12;
  float loss;
  int rc = fashion_mlp_train_step(s, BATCH, x, bad, &loss);
  printf("bad label: %s\n", fashion_mlp_last_error(s));
  check(rc != 0 && strstr(fashion_mlp_last_error(s), "outside [0, 10)") != NULL && nncc_step((nncc_session *)s) == 2 * TRAIN / BATCH,
        "a label out of range is an error that changes nothing");

  check(fashion_mlp_save(s, checkpoint) == 0, "checkpoint saved");
  fashion_mlp_session *fresh = fashion_mlp_create(7);
  check(fresh && fashion_mlp_load(fresh, checkpoint) == 0, "checkpoint loaded into a new session");
  if (fresh) {
    fashion_mlp_forward(fresh, TEST, tx, scores2);
    check(memcmp(scores, scores2, sizeof(float) * TEST * 10) == 0, "the reloaded model gives the same scores");
    check(fashion_mlp_load(fresh, "no/such/file.safetensors") != 0 && strstr(fashion_mlp_last_error(fresh), "cannot open") != NULL,
          "a missing checkpoint is an error");
    fashion_mlp_destroy(fresh);
  }
  train_cnn(x, y, tx, ty, scores);
destroy:
  fashion_mlp_destroy(s);
done:
  free(images), free(labels), free(test_images), free(test_labels), free(x), free(tx), free(scores), free(scores2);
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
  const char *checkpoint = argc > 2 ? argv[2] : "fashion_mlp.safetensors";
  train_xor();
  train_fashion(dir, checkpoint);
  printf("%s\n", failures ? "some checks FAILED" : "all checks passed");
  return failures ? 1 : 0;
}
