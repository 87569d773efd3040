/* Chapter 8: a C program that trains the XOR network compiled ahead of time.
 *   nncc compile examples/xor.nn -o libxor.so --header xor.h
 *   cc -std=c11 -I. examples/tutorial/08_host.c -L. -lxor -Wl,-rpath,. -o xor_host
 *   ./xor_host                                                            */
#include "xor.h"

#include <stdio.h>

int main(void) {
  const float x[4 * 2] = {0, 0, 0, 1, 1, 0, 1, 1}, y[4] = {0, 1, 1, 0};
  xor_session *s = xor_create(/*seed=*/1);
  float loss = 0, p[4];
  for (int step = 1; step <= 2000; ++step) {
    if (xor_train_step(s, 4, x, y, &loss) != 0) {
      fprintf(stderr, "%s\n", nncc_last_error((nncc_session *)s));
      return 1;
    }
    if (step == 1 || step % 500 == 0) printf("step %4d  loss %.4f\n", step, loss);
  }
  xor_forward(s, 4, x, p);
  for (int i = 0; i < 4; ++i) printf("xor(%g, %g) = %.3f\n", x[2 * i], x[2 * i + 1], p[i]);
  xor_destroy(s);
  return 0;
}
