/* tests/support/reference_pair.h: the image pair the metric and kernel references were computed
 * on (shared/reference/metrics-16x16.txt with scikit-image and OpenCV; tests/fixtures/
 * lap_reference.txt with tests/fixtures/make_lap_reference.py), and the comparison that prints
 * both numbers. */
#ifndef WB_TESTS_REFERENCE_PAIR_H
#define WB_TESTS_REFERENCE_PAIR_H

#define REFERENCE_SIDE 16

/* x and y, HWC 16x16x3 (768 floats each):
 *   x[i,j,c] = ((13i + 7j + 40c) mod 256) / 255
 *   y[i,j,c] = clip(((13i + 7j + 40c) mod 256) + ((i*j + 3c) mod 11) - 5, 0, 255) / 255 */
void reference_pair(float *x, float *y);

/* Prints what, wb's value and the reference's; fails the cmocka test unless they are within
 * tol. */
void reference_near(double got, double want, double tol, const char *what);

#endif
