/* tests/test_regress_fuzz.c: replays, through the fuzz targets' own code, every seed of
 * tests/fuzz/corpus/TARGET/ and every input that once crashed a target, kept in
 * tests/fuzz/crashes/TARGET/ (make fuzz finds them: see tests/fuzz/run.sh). Under make check-asan
 * this is where a crash found by fuzzing stays fixed. */
#define WB_FUZZ_NO_MAIN
#include "fuzz/fuzz_db.c"
#include "fuzz/fuzz_ini.c"
#include "fuzz/fuzz_merge.c"
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

typedef struct target {
    const char *name;
    fuzz_fn fn;
} target;

static void test_target(void **state)
{
    const target *t = *state;
    char dir[128];
    snprintf(dir, sizeof dir, "tests/fuzz/corpus/%s", t->name);
    const int seeds = replay(dir, t->fn);
    snprintf(dir, sizeof dir, "tests/fuzz/crashes/%s", t->name);
    const int crashes = replay(dir, t->fn);
    printf("%s: %d seeds, %d former crashes replayed\n", t->name, seeds, crashes);
    assert_true(seeds > 0);
}

int main(void)
{
    static target targets[] = { { "ini", wb_fuzz_ini }, { "png", wb_fuzz_png },
                                { "npy", wb_fuzz_npy }, { "safetensors", wb_fuzz_safetensors },
                                { "db", wb_fuzz_db }, { "merge", wb_fuzz_merge } };
    const struct CMUnitTest tests[] = {
        { "replay ini", test_target, NULL, NULL, &targets[0] },
        { "replay png", test_target, NULL, NULL, &targets[1] },
        { "replay npy", test_target, NULL, NULL, &targets[2] },
        { "replay safetensors", test_target, NULL, NULL, &targets[3] },
        { "replay db", test_target, NULL, NULL, &targets[4] },
        { "replay merge", test_target, NULL, NULL, &targets[5] },
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
