/* tests/test_regress_fuzz.c: replays, through the fuzz targets' own code, every seed of
 * tests/fuzz/corpus/TARGET/ and every input that once crashed a target, kept in
 * tests/fuzz/crashes/TARGET/ (make fuzz finds them: see tests/fuzz/run.sh). Under make check-asan
 * this is where a crash found by fuzzing stays fixed. */
#define WB_FUZZ_NO_MAIN
#include "fuzz/fuzz_ini.c"
#include "fuzz/fuzz_npy.c"
#include "fuzz/fuzz_png.c"
#include "fuzz/fuzz_safetensors.c"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>

#include <cmocka.h>

typedef int (*fuzz_fn)(const uint8_t *data, size_t size);

static const char *root(void)
{
    const char *r = getenv("WB_TEST_ROOT");
    return r && *r ? r : ".";
}

/* Runs fn on every regular file of root/dir; returns how many. */
static int replay(const char *dir, fuzz_fn fn)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root(), dir);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char file[4400];
        snprintf(file, sizeof file, "%s/%s", path, e->d_name);
        FILE *f = fopen(file, "rb");
        if (!f)
            continue;
        uint8_t *buf = NULL;
        size_t len = 0, cap = 0, got;
        uint8_t chunk[4096];
        while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
            if (len + got > cap) {
                cap = (len + got) * 2;
                uint8_t *grown = realloc(buf, cap);
                assert_non_null(grown);
                buf = grown;
            }
            memcpy(buf + len, chunk, got);
            len += got;
        }
        fclose(f);
        fn(buf ? buf : (const uint8_t *)"", len);
        free(buf);
        n++;
    }
    closedir(d);
    return n;
}

static void check_target(const char *name, fuzz_fn fn)
{
    char dir[128];
    snprintf(dir, sizeof dir, "tests/fuzz/corpus/%s", name);
    const int seeds = replay(dir, fn);
    snprintf(dir, sizeof dir, "tests/fuzz/crashes/%s", name);
    const int crashes = replay(dir, fn);
    printf("%s: %d seeds, %d former crashes replayed\n", name, seeds, crashes);
    assert_true(seeds > 0);
}

static void test_ini(void **state)
{
    (void)state;
    check_target("ini", wb_fuzz_ini);
}

static void test_png(void **state)
{
    (void)state;
    check_target("png", wb_fuzz_png);
}

static void test_npy(void **state)
{
    (void)state;
    check_target("npy", wb_fuzz_npy);
}

static void test_safetensors(void **state)
{
    (void)state;
    check_target("safetensors", wb_fuzz_safetensors);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ini),
        cmocka_unit_test(test_png),
        cmocka_unit_test(test_npy),
        cmocka_unit_test(test_safetensors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
