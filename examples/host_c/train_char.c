/* A plain C11 host for the AOT-compiled character transformer: reads a text
 * (ASCII), numbers its distinct bytes in byte order as `nncc train --data
 * text:` numbers characters, trains a few steps on windows of 64 characters,
 * and checks that the loss falls from about ln(128) and that the scores of
 * the forward pass are finite.
 *
 *   nncc compile examples/char_transformer.nn -o libchar_transformer.so --header char_transformer.h
 *   cc -std=c11 -I. train_char.c -L. -lchar_transformer -lm -o train_char
 *   ./train_char /usr/share/common-licenses/GPL-3 [steps]
 *
 * Exit status 0 when every check passed. */
#include "char_transformer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

enum { CONTEXT = 64, BATCH = 16, VOCAB = 128 };

static int failures = 0;

static void check(int ok, const char *what) {
  printf("%s: %s\n", ok ? "ok" : "FAILED", what);
  if (!ok) ++failures;
}

/* The file's bytes as ids (distinct bytes in byte order), or NULL with a message. */
static int32_t *read_ids(const char *path, long *length) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    return NULL;
  }
  unsigned char *text = NULL;
  int32_t *ids = NULL;
  long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
  if (n > CONTEXT && fseek(f, 0, SEEK_SET) == 0 && (text = malloc((size_t)n)) && fread(text, 1, (size_t)n, f) == (size_t)n &&
      (ids = malloc(sizeof(int32_t) * (size_t)n))) {
    int id_of[256] = {0}, used[256] = {0}, distinct = 0;
    for (long i = 0; i < n; ++i) used[text[i]] = 1;
    for (int b = 0; b < 256; ++b) id_of[b] = used[b] ? distinct++ : -1;
    if (distinct > VOCAB) {
      fprintf(stderr, "%s has %d distinct bytes; the model takes at most %d\n", path, distinct, VOCAB);
      free(ids), ids = NULL;
    } else {
      for (long i = 0; i < n; ++i) ids[i] = id_of[text[i]];
      *length = n;
      printf("%s: %ld characters, vocabulary %d\n", path, n, distinct);
    }
  } else {
    fprintf(stderr, "%s: cannot read more than %d characters\n", path, CONTEXT);
  }
  free(text);
  fclose(f);
  return ids;
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "/usr/share/common-licenses/GPL-3";
  int steps = argc > 2 ? atoi(argv[2]) : 30;
  long length = 0;
  int32_t *ids = read_ids(path, &length);
  char_transformer_session *s = ids ? char_transformer_create(0) : NULL;
  if (!s) {
    if (ids) printf("char_transformer_create failed: %s\n", char_transformer_last_error(NULL));
    free(ids);
    return 1;
  }
  static int32_t x[BATCH * CONTEXT], y[BATCH * CONTEXT];
  static float scores[BATCH * CONTEXT * VOCAB];
  float first = 0, last = 0;
  srand(1);
  for (int step = 0; step < steps; ++step) {
    for (int r = 0; r < BATCH; ++r) { /* a window at a random offset, and the next character at each position */
      long at = rand() % (length - CONTEXT);
      for (int t = 0; t < CONTEXT; ++t) x[r * CONTEXT + t] = ids[at + t], y[r * CONTEXT + t] = ids[at + t + 1];
    }
    float loss;
    if (char_transformer_train_step(s, BATCH, x, y, &loss) != 0) {
      printf("train_step: %s\n", char_transformer_last_error(s));
      ++failures;
      break;
    }
    if (step == 0) first = loss;
    last = loss;
    if (step % 10 == 0 || step == steps - 1) printf("step %d  loss %.4f\n", step + 1, loss);
  }
  check(fabsf(first - logf(VOCAB)) < 0.5f, "the first loss is about ln(128): the untrained model knows nothing");
  check(last < first - 1.0f, "a few steps lower the loss by more than a nat");
  int finite = char_transformer_forward(s, BATCH, x, scores) == 0;
  for (int i = 0; finite && i < BATCH * CONTEXT * VOCAB; ++i) finite = isfinite(scores[i]);
  check(finite, "forward gives finite scores for every position");
  int32_t bad = x[5];
  x[5] = VOCAB; /* an id the embedding has no row for: refused, nothing changes */
  float loss;
  check(char_transformer_train_step(s, BATCH, x, y, &loss) != 0, "an id outside the vocabulary is an error");
  printf("bad id: %s\n", char_transformer_last_error(s));
  x[5] = bad;
  check(nncc_step((nncc_session *)s) == steps, "the refused step changed nothing");
  char_transformer_destroy(s);
  free(ids);
  printf(failures ? "%d checks failed\n" : "all checks passed\n", failures);
  return failures != 0;
}
