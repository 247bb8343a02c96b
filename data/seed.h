/* data/seed.h: every random stream of a run is derived from (run seed, index, purpose), never
 * carried from one use to the next, so an epoch, a split or the initial weights can be
 * recomputed alone: what resuming bit for bit and the paired comparisons across runs rely on. */
#ifndef WB_DATA_SEED_H
#define WB_DATA_SEED_H

#include <stdint.h>

/* Mixes integers into a 64-bit seed (splitmix64 of each in turn), so that derived streams for
 * (run seed, epoch, purpose) are independent and never carried from one epoch to the next. */
uint64_t data_derive_seed(uint64_t a, uint64_t b, uint64_t c);

/* Purposes for data_derive_seed's third argument. */
enum { DATA_STREAM_PATCHES = 1, DATA_STREAM_VAL = 2, DATA_STREAM_TEST = 3, DATA_STREAM_TRAIN = 4,
       DATA_STREAM_SHUFFLE = 5, DATA_STREAM_INIT = 6 };

#endif
