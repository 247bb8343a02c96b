/* tests/test_config_identity.c: identity across versions (wb/config.h).
 *
 * - Today's code reproduces every config_hash and config_id of tests/fixtures/lossweights-v1.ini
 *   recorded in tests/fixtures/lossweights-v1.hashes; a failure lists the hashes that moved.
 * - Rule 1: a key added later stays out of the canonical text at its legacy value and enters it
 *   at any other.
 * - Rule 2: a behaviour change adds `rules=` to the configurations it applies to, and only to
 *   them; config_identity.c's own table is well formed.
 * - Reals print with %.17g in the canonical text.
 *
 *   build/tests/test_config_identity --print
 * prints the fixture's lines as today's code makes them, to update the .hashes file after a
 * change that moves hashes (with the reason written there). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wb/config.h"

#define FIXTURE_INI "tests/fixtures/lossweights-v1.ini"
#define FIXTURE_HASHES "tests/fixtures/lossweights-v1.hashes"

static void fixture_path(char *out, size_t len, const char *name)
{
    const char *root = getenv("WB_TEST_ROOT");
    snprintf(out, len, "%s/%s", root && *root ? root : ".", name);
}

static config_grid *expand_file(const char *path)
{
    config *c = NULL;
    config_grid *g = NULL;
    char err[1024] = "";
    if (config_parse_file(path, &c, err, sizeof err) || config_expand(c, &g, err, sizeof err))
        fail_msg("%s", err);
    config_free(c);
    return g;
}

static config_grid *expand_text(const char *text)
{
    config *c = NULL;
    config_grid *g = NULL;
    char err[1024] = "";
    if (config_parse_string(text, "t.ini", &c, err, sizeof err) ||
        config_expand(c, &g, err, sizeof err))
        fail_msg("%s", err);
    config_free(c);
    return g;
}

/* ---- the frozen fixture --------------------------------------------------------------------- */

typedef struct recorded_run {
    int index;
    char hash[CONFIG_HASH_LEN + 1], id[CONFIG_HASH_LEN + 1], label[256];
} recorded_run;

/* The data lines of the .hashes file ('#' lines are its notes). Returns how many. */
static size_t read_recorded(const char *path, recorded_run *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    char line[1024];
    size_t n = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        if (n == cap)
            fail_msg("%s: more than %zu runs", path, cap);
        recorded_run *r = &out[n++];
        int label_at = 0;
        if (sscanf(line, "%d %64s %64s %n", &r->index, r->hash, r->id, &label_at) != 3 ||
            !label_at)
            fail_msg("%s: bad line '%s'", path, line);
        snprintf(r->label, sizeof r->label, "%s", line + label_at);
    }
    fclose(f);
    return n;
}

static void print_fixture_lines(void)
{
    char path[4096];
    fixture_path(path, sizeof path, FIXTURE_INI);
    config *c = NULL;
    config_grid *g = NULL;
    char err[1024] = "";
    if (config_parse_file(path, &c, err, sizeof err) || config_expand(c, &g, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    for (size_t i = 0; i < g->nruns; i++)
        printf("%d %s %s %s\n", g->runs[i].grid_index, g->runs[i].config_hash,
               g->runs[i].config_id, g->runs[i].label);
    config_grid_free(g);
    config_free(c);
}

static void fixture_hashes_are_reproduced(void **state)
{
    (void)state;
    char ini[4096], hashes[4096];
    fixture_path(ini, sizeof ini, FIXTURE_INI);
    fixture_path(hashes, sizeof hashes, FIXTURE_HASHES);
    recorded_run recorded[64];
    const size_t n = read_recorded(hashes, recorded, 64);
    assert_int_equal(n, 33);
    config_grid *g = expand_file(ini);
    char moved[8192] = "";
    size_t nmoved = 0, used = 0;
    for (size_t i = 0; i < n || i < g->nruns; i++) {
        const recorded_run *want = i < n ? &recorded[i] : NULL;
        const config_run *got = i < g->nruns ? &g->runs[i] : NULL;
        char line[512] = "";
        if (!want || !got)
            snprintf(line, sizeof line, "\n  run %zu: %s", i,
                     want ? "recorded, no longer in the grid" : "in the grid, not recorded");
        else if (want->index != got->grid_index || strcmp(want->label, got->label) != 0)
            snprintf(line, sizeof line, "\n  run %zu: grid index and label %d '%s' became %d '%s'",
                     i, want->index, want->label, got->grid_index, got->label);
        else if (strcmp(want->hash, got->config_hash) != 0 || strcmp(want->id, got->config_id))
            snprintf(line, sizeof line, "\n  run %d (%s): config_hash %.12s -> %.12s, "
                     "config_id %.12s -> %.12s", want->index, want->label, want->hash,
                     got->config_hash, want->id, got->config_id);
        if (line[0]) {
            nmoved++;
            if (used < sizeof moved)
                used += (size_t)snprintf(moved + used, sizeof moved - used, "%s", line);
        }
    }
    config_grid_free(g);
    if (nmoved)
        fail_msg("%zu of the %zu runs of %s moved from %s:%s\nIf a change meant this, update the "
                 "file (%s --print) and write in it which change moved each hash and why.",
                 nmoved, n, FIXTURE_INI, FIXTURE_HASHES, moved, "build/tests/test_config_identity");
}

/* ---- rules 1 and 2 through config_identity_text ---------------------------------------------- */

/* A run's canonical text back as identity keys (all of the first version: no legacy values):
 * the key lines before the seed line but the rules line of rule 2, in the run's own storage
 * copied to `store`. */
static size_t keys_of(const config_run *r, char *store, size_t storelen, config_identity_key *keys,
                      size_t cap)
{
    snprintf(store, storelen, "%s", r->canonical);
    size_t n = 0;
    for (char *line = store; *line;) {
        char *end = strchr(line, '\n');
        assert_non_null(end);
        *end = '\0';
        char *eq = strchr(line, '=');
        assert_non_null(eq);
        *eq = '\0';
        if (strcmp(line, "seed") != 0 && strcmp(line, "rules") != 0) {
            assert_true(n < cap);
            keys[n++] = (config_identity_key){ line, eq + 1, NULL };
        }
        line = end + 1;
    }
    return n;
}

/* The canonical text without its seed line (the last). */
static char *identity_of(const config_run *r)
{
    char *text = strdup(r->canonical);
    char *seed = strstr(text, "\nseed=");
    assert_non_null(seed);
    seed[1] = '\0';
    return text;
}

/* With config_identity.c's own change table, the hook gives exactly what config_expand hashed. */
static void identity_text_is_what_expand_hashes(void **state)
{
    (void)state;
    config_grid *g = expand_text("[loss]\nlaplacian_weight = 0, 0.3\nkernel = 4\n");
    size_t nchanges;
    const config_behaviour_change *changes = config_behaviour_changes(&nchanges);
    for (size_t i = 0; i < g->nruns; i++) {
        char store[8192];
        config_identity_key keys[64];
        size_t n = keys_of(&g->runs[i], store, sizeof store, keys, 64);
        char *want = identity_of(&g->runs[i]);
        char *got = config_identity_text(keys, n, &g->runs[i].options, changes, nchanges);
        assert_string_equal(got, want);
        free(got);
        free(want);
    }
    config_grid_free(g);
}

static void later_key_enters_only_off_its_legacy_value(void **state)
{
    (void)state;
    config_grid *g = expand_text("[train]\noptimizer = adam\n");
    const config_run *r = &g->runs[0];
    char store[8192];
    config_identity_key keys[64];
    size_t n = keys_of(r, store, sizeof store, keys, 63);
    char *before = config_identity_text(keys, n, &r->options, NULL, 0);   /* rule 1 alone */

    /* train.schedule, added later: constant is what every configuration did before it. */
    keys[n] = (config_identity_key){ "train.schedule", "constant", "constant" };
    char *text = config_identity_text(keys, n + 1, &r->options, NULL, 0);
    assert_string_equal(text, before);   /* unchanged: the run is not retrained */
    free(text);

    keys[n].value = "cosine";
    text = config_identity_text(keys, n + 1, &r->options, NULL, 0);
    const char *at = strstr(text, "train.optimizer=adam\ntrain.schedule=cosine\n");
    if (!at)
        fail_msg("train.schedule=cosine is not in its sorted place:\n%s", text);
    /* Everything else as before: the line is inserted, nothing moved or dropped. */
    char *rest = strstr(text, "train.schedule=cosine\n");
    memmove(rest, rest + strlen("train.schedule=cosine\n"),
            strlen(rest + strlen("train.schedule=cosine\n")) + 1);
    assert_string_equal(text, before);
    free(text);

    /* A key of the first version is in the text at every value, its default included. */
    keys[n] = (config_identity_key){ "train.schedule", "constant", NULL };
    text = config_identity_text(keys, n + 1, &r->options, NULL, 0);
    assert_non_null(strstr(text, "train.schedule=constant\n"));
    free(text);
    free(before);
    config_grid_free(g);
}

static int applies_if_residual(const run_options *o)
{
    return o->model.residual;
}

static int applies_always(const run_options *o)
{
    (void)o;
    return 1;
}

static void behaviour_change_moves_the_configurations_it_applies_to(void **state)
{
    (void)state;
    config_grid *g = expand_text("[model]\nresidual = false, true\n");
    assert_int_equal(g->nruns, 2);
    const config_behaviour_change changes[] = {
        { 1, "a residual network's output layer starts at zero", applies_if_residual },
        { 2, "the best epoch is chosen by validation MSE", applies_always },
    };
    const char *want_rules[2][2] = { { "", "rules=2\n" }, { "rules=1\n", "rules=1,2\n" } };
    for (size_t i = 0; i < 2; i++) {
        const config_run *r = &g->runs[i];
        assert_int_equal(r->options.model.residual, (int)i);
        char store[8192];
        config_identity_key keys[64];
        size_t n = keys_of(r, store, sizeof store, keys, 64);
        /* without any change (the real table's rows would add theirs) */
        char *before = config_identity_text(keys, n, &r->options, NULL, 0);
        for (size_t upto = 1; upto <= 2; upto++) {
            char *text = config_identity_text(keys, n, &r->options, changes, upto);
            char want[8192];
            snprintf(want, sizeof want, "%s%s", before, want_rules[i][upto - 1]);
            assert_string_equal(text, want);
            free(text);
        }
        free(before);
    }
    config_grid_free(g);

    /* config_identity.c's own table: versions 1, 2, ... in order, each with a one-line description and a
     * predicate. */
    size_t n;
    const config_behaviour_change *table = config_behaviour_changes(&n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(table[i].version, (int)i + 1);
        assert_non_null(table[i].applies);
        assert_true(table[i].description[0] && !strchr(table[i].description, '\n'));
    }
}

/* ---- %.17g ------------------------------------------------------------------------------ */

static void canonical_reals_keep_17_significant_digits(void **state)
{
    (void)state;
    config_grid *g = expand_text("[data]\nnoise_sigma = 0.3\nmin_std = 1e-5\nblur_sigma = 2.0\n"
                                 "[train]\nlr = 0.1\nmomentum = 0.5\n");
    const config_run *r = &g->runs[0];
    static const char *const lines[] = {
        "data.blur_sigma=2\n", "data.min_std=1.0000000000000001e-05\n",
        "data.noise_sigma=0.29999999999999999\n", "train.lr=0.10000000000000001\n",
        "train.momentum=0.5\n",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        if (!strstr(r->canonical, lines[i]))
            fail_msg("the canonical text lacks %s(reals print with %%.17g, forever):\n%s",
                     lines[i], r->canonical);
    assert_string_equal(config_run_value(r, "train.lr"), "0.10000000000000001");
    config_grid_free(g);
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--print") == 0) {
        print_fixture_lines();
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fixture_hashes_are_reproduced),
        cmocka_unit_test(identity_text_is_what_expand_hashes),
        cmocka_unit_test(later_key_enters_only_off_its_legacy_value),
        cmocka_unit_test(behaviour_change_moves_the_configurations_it_applies_to),
        cmocka_unit_test(canonical_reals_keep_17_significant_digits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
