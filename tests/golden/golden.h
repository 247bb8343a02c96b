/* The golden case shared by tests/golden/golden_export.c (which feeds PyTorch) and
 * tests/test_model_golden.c (which checks wb against PyTorch's answers). */
#ifndef WB_TESTS_GOLDEN_H
#define WB_TESTS_GOLDEN_H

#define GOLDEN_DEPTH 2
#define GOLDEN_WIDTH 8
#define GOLDEN_PATCH 16
#define GOLDEN_BATCH 4
#define GOLDEN_SEED 20261128u
#define GOLDEN_LAMBDA 0.6
#define GOLDEN_LR 1e-3
#define GOLDEN_STEPS 3
#define GOLDEN_FIXTURE "tests/fixtures/golden_unet.safetensors"

#endif
