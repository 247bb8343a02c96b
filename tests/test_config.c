/* tests/test_config.c: wb/config*.c: defaults, the grid of docs/DESIGN.md's example, identity (a
 * hash pinned to a value computed outside wb), resolution rules, every class of error with its
 * FILE:LINE, --set, hostile names and `wb config --defaults` parsing back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <ini.h>

#include "wb/config.h"

/* docs/DESIGN.md's INI example, verbatim. */
static const char design_example[] =
    "; Does a Laplacian term help a 16x16 U-Net denoiser?\n"
    "[sweep]\n"
    "name     = lossweights\n"
    "database = results/wb.db\n"
    "seeds    = 1, 2, 3\n"
    "\n"
    "[data]\n"
    "task          = denoise\n"
    "noise_sigma   = 0.1\n"
    "\n"
    "[model]\n"
    "depth         = 2\n"
    "base_channels = 16\n"
    "\n"
    "[train]\n"
    "epochs     = 12\n"
    "batch_size = 64\n"
    "\n"
    "[loss]\n"
    "laplacian_weight = 0, 0.05, 0.1, 0.3, 0.6, 1.0\n"
    "kernel           = 4, 8\n";

/* The canonical text of the default configuration, written out by hand; its hashes were computed
 * with `printf '...' | sha256sum`, not by wb, so a silent change of the canonical form fails. */
static const char default_identity_lines[] =
    "data.blur_sigma=1\n"
    "data.clip=false\n"
    "data.fresh_noise=true\n"
    "data.min_std=0\n"
    "data.noise_sigma=0.10000000000000001\n"
    "data.patch=16\n"
    "data.seed=1234\n"
    "data.source=builtin\n"
    "data.sr_upsample=bilinear\n"
    "data.task=denoise\n"
    "data.test_patches=2048\n"
    "data.train_patches=8192\n"
    "data.val_patches=1024\n"
    "loss.laplacian_weight=0\n"
    "loss.pixel=mse\n"
    "model.base_channels=16\n"
    "model.depth=2\n"
    "model.residual=false\n"
    "train.batch_size=64\n"
    "train.epochs=12\n"
    "train.lr=0.001\n"
    "train.momentum=0.90000000000000002\n"
    "train.optimizer=adam\n"
    "rules=2,3\n";   /* behaviour changes 2 and 3 apply to every configuration */
static const char default_config_id[] =
    "9816fef532ad3b134f98b4fd9ca3f548274454554bed3c7cc9e4292f69d785ac";
static const char default_config_hash[] =   /* the lines above, then "seed=1\n" */
    "c46bd6d467297d3fe5ea0b7d4b1d98308d6405f3047c3f3e192227315d2f95ef";

/* ---- helpers ------------------------------------------------------------------------------- */

static config_grid *expand_text(const char *text, const char *name)
{
    config *c = NULL;
    config_grid *g = NULL;
    char err[1024] = "";
    if (config_parse_string(text, name, &c, err, sizeof err) ||
        config_expand(c, &g, err, sizeof err))
        fail_msg("unexpected error: %s", err);
    config_free(c);
    return g;
}

/* The error of parsing text, applying the --set options in order, then expanding. */
static void error_of(const char *text, const char *const *sets, char *err, size_t errlen)
{
    config *c = NULL;
    config_grid *g = NULL;
    err[0] = '\0';
    int rc = config_parse_string(text, "t.ini", &c, err, errlen);
    for (int i = 0; rc == 0 && sets && sets[i]; i++)
        rc = config_set(c, sets[i], i + 1, err, errlen);
    if (rc == 0)
        rc = config_expand(c, &g, err, errlen);
    config_grid_free(g);
    config_free(c);
    if (rc == 0)
        fail_msg("expected an error for:\n%s", text);
    if (strchr(err, '\n'))
        fail_msg("error message spans lines: %s", err);
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (!strstr(haystack, needle))
        fail_msg("'%s' does not contain '%s'", haystack, needle);
}

static void assert_starts_with(const char *s, const char *prefix)
{
    if (strncmp(s, prefix, strlen(prefix)) != 0)
        fail_msg("'%s' does not start with '%s'", s, prefix);
}

static const char *param(const config_run *r, const char *key)
{
    for (size_t i = 0; i < r->nparams; i++)
        if (strcmp(r->params[i].key, key) == 0)
            return r->params[i].value;
    fail_msg("no param %s", key);
    return NULL;
}

static char *make_temp_dir(void)
{
    char *dir = strdup("/tmp/wb-test-config-XXXXXX");
    assert_non_null(dir);
    assert_non_null(mkdtemp(dir));
    return dir;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* ---- defaults and identity ------------------------------------------------------------------ */

static void test_defaults(void **state)
{
    (void)state;
    config_grid *g = expand_text("", "experiments/empty.ini");
    assert_int_equal(g->nruns, 1);
    assert_string_equal(g->name, "empty");      /* the file name without .ini */
    assert_string_equal(g->database, "results/wb.db");
    assert_string_equal(g->axes, "");
    assert_int_equal(g->naxes, 0);
    const run_options *o = &g->runs[0].options;
    assert_string_equal(o->data.source, "builtin");
    assert_int_equal(o->data.task, DATA_TASK_DENOISE);
    assert_int_equal(o->data.patch, 16);
    assert_int_equal(o->data.train_patches, 8192);
    assert_int_equal(o->data.val_patches, 1024);
    assert_int_equal(o->data.test_patches, 2048);
    assert_int_equal(o->data.seed, 1234);
    assert_true(o->data.min_std == 0);
    assert_true(o->data.noise_sigma == 0.1);
    assert_int_equal(o->data.fresh_noise, 1);
    assert_int_equal(o->data.clip, 0);
    assert_true(o->data.blur_sigma == 1.0);
    assert_int_equal(o->data.sr_upsample, DATA_UPSAMPLE_BILINEAR);
    assert_int_equal(o->model.depth, 2);
    assert_int_equal(o->model.base_channels, 16);
    assert_int_equal(o->model.residual, 0);
    assert_int_equal(o->train.epochs, 12);
    assert_int_equal(o->train.batch_size, 64);
    assert_int_equal(o->train.optimizer, OPT_ADAM);
    assert_true(o->train.lr == 0.001);
    assert_true(o->train.momentum == 0.9);
    assert_int_equal(o->train.threads, 0);
    assert_int_equal(o->loss.pixel, PIXEL_MSE);
    assert_true(o->loss.lap_weight == 0);
    assert_int_equal(o->seed, 1);
    assert_string_equal(g->runs[0].label, "λ = 0, seed 1");
    config_grid_free(g);
}

static void test_default_identity(void **state)
{
    (void)state;
    config_grid *g = expand_text("", "t.ini");
    const config_run *r = &g->runs[0];
    char expected[sizeof default_identity_lines + 16];
    snprintf(expected, sizeof expected, "%sseed=1\n", default_identity_lines);
    assert_string_equal(r->canonical, expected);
    assert_string_equal(r->config_id, default_config_id);
    assert_string_equal(r->config_hash, default_config_hash);
    assert_int_equal(r->grid_index, 0);
    assert_string_equal(r->json,
        "{\"data\":{\"source\":\"builtin\",\"task\":\"denoise\",\"patch\":16,"
        "\"train_patches\":8192,\"val_patches\":1024,\"test_patches\":2048,\"seed\":1234,"
        "\"min_std\":0,\"noise_sigma\":0.10000000000000001,\"fresh_noise\":true,"
        "\"clip\":false,\"blur_sigma\":1,\"sr_upsample\":\"bilinear\"},"
        "\"model\":{\"depth\":2,\"base_channels\":16,\"residual\":false},"
        "\"train\":{\"epochs\":12,\"batch_size\":64,\"optimizer\":\"adam\",\"lr\":0.001,"
        "\"schedule\":\"constant\",\"lr_min\":null,\"decay_fraction\":null,"
        "\"decay_shape\":null,\"warmup_steps\":0,"
        "\"momentum\":0.90000000000000002,\"threads\":0},"
        "\"loss\":{\"pixel\":\"mse\",\"laplacian_weight\":0,\"kernel\":null,\"border\":null,"
        "\"kernel_norm\":null},\"seed\":1}");
    /* every key but sweep.*, train.threads included, the baseline's Laplacian keys NULL, and
     * lr_min NULL without a decaying schedule, the decay's keys without wsd */
    assert_int_equal(r->nparams, 32);
    assert_string_equal(r->params[0].key, "data.source");
    assert_string_equal(param(r, "train.threads"), "0");
    assert_string_equal(param(r, "data.noise_sigma"), "0.10000000000000001");
    assert_null(param(r, "loss.kernel"));
    assert_null(param(r, "loss.border"));
    assert_null(param(r, "loss.kernel_norm"));
    assert_null(param(r, "train.lr_min"));
    assert_null(param(r, "train.decay_fraction"));
    assert_null(param(r, "train.decay_shape"));
    assert_string_equal(param(r, "train.schedule"), "constant");
    assert_string_equal(r->trajectory_hash, "");
    assert_null(r->trajectory_canonical);
    assert_int_equal(r->fork_epoch, 0);
    assert_string_equal(config_run_value(r, "seed"), "1");
    assert_string_equal(config_run_value(r, "loss.laplacian_weight"), "0");
    assert_null(config_run_value(r, "sweep.name"));
    config_grid_free(g);
}

/* Threads, the name and the database change neither hash; everything else does. */
/* The schedule keys came later (rule 1 of config.h): at their legacy values a configuration keeps
 * the hash it had before they existed; lr_min means something only under the cosine schedule, so
 * it enters (and makes a param) only there. */
static void test_schedule_keys_identity(void **state)
{
    (void)state;
    config_grid *plain = expand_text("", "t.ini");
    config_grid *g = expand_text("[train]\nschedule = constant, cosine\nlr_min = 1e-5\n"
                                 "warmup_steps = 0\n", "t.ini");
    assert_int_equal(g->nruns, 2);
    assert_string_equal(g->runs[0].config_hash, plain->runs[0].config_hash);
    assert_null(param(&g->runs[0], "train.lr_min"));
    assert_null(strstr(g->runs[0].canonical, "schedule"));
    assert_non_null(strstr(g->runs[1].canonical, "train.schedule=cosine\n"));
    assert_non_null(strstr(g->runs[1].canonical, "train.lr_min=1.0000000000000001e-05\n"));
    assert_null(strstr(g->runs[1].canonical, "warmup_steps"));
    assert_true(g->runs[1].options.train.schedule == LR_COSINE);
    assert_true(g->runs[1].options.train.lr_min == 1e-5);
    config_grid *w = expand_text("[train]\nwarmup_steps = 100\n", "t.ini");
    assert_non_null(strstr(w->runs[0].canonical, "train.warmup_steps=100\n"));
    assert_int_equal(w->runs[0].options.train.warmup_steps, 100);
    config_grid_free(plain);
    config_grid_free(g);
    config_grid_free(w);
}

/* wsd (issue 21): its decay's keys enter the identity of a wsd configuration only; its runs of
 * every budget, lr_min, decay fraction and shape share one trajectory (the identity without
 * those), whose text starts with "trajectory" and never equals a run's; the decay starts at the
 * end of epoch E - ceil(fraction E); any other key (lr, the seed) makes another trajectory. */
static void test_wsd_trajectory_identity(void **state)
{
    (void)state;
    config_grid *g = expand_text("[sweep]\nseeds = 1, 2\n[train]\nschedule = wsd\n"
                                 "epochs = 8, 16, 30\nlr_min = 0, 1e-5\ndecay_fraction = 0.1, 0.2\n"
                                 "decay_shape = linear, 1-sqrt\n", "t.ini");
    assert_int_equal(g->nruns, 3 * 2 * 2 * 2 * 2);
    for (size_t i = 0; i < g->nruns; i++) {
        const config_run *r = &g->runs[i];
        const config_run *first = &g->runs[r->options.seed == 1 ? 0 : 1];
        assert_string_equal(r->trajectory_hash, first->trajectory_hash);
        assert_string_equal(r->trajectory_id, g->runs[0].trajectory_id);
        assert_string_not_equal(r->trajectory_hash, r->config_hash);
        assert_non_null(strstr(r->canonical, "train.schedule=wsd\n"));
        assert_non_null(strstr(r->canonical, "train.decay_shape="));
        assert_non_null(strstr(r->canonical, "train.decay_fraction="));
        assert_int_equal(strncmp(r->trajectory_canonical, CONFIG_TRAJECTORY_LINE,
                                 strlen(CONFIG_TRAJECTORY_LINE)), 0);
        assert_null(strstr(r->trajectory_canonical, "train.epochs"));
        assert_null(strstr(r->trajectory_canonical, "train.lr_min"));
        assert_null(strstr(r->trajectory_canonical, "decay"));
        assert_non_null(strstr(r->trajectory_canonical, "train.schedule=wsd\n"));
        const int e = r->options.train.epochs;
        const double f = r->options.train.decay_fraction;
        /* 0.1 * 30 is 3 epochs of decay, not 4 (0.1 * 30 = 3.0000000000000004 in doubles) */
        const int decay = f == 0.1 ? (e == 8 ? 1 : e == 16 ? 2 : 3) : (e == 8 ? 2 : e == 16 ? 4 : 6);
        assert_int_equal(r->fork_epoch, e - decay);
    }
    assert_string_not_equal(g->runs[0].trajectory_hash, g->runs[1].trajectory_hash);
    config_grid *other = expand_text("[train]\nschedule = wsd\nlr = 0.002\n", "t.ini");
    assert_string_not_equal(other->runs[0].trajectory_id, g->runs[0].trajectory_id);
    config_run t;
    assert_int_equal(config_trajectory(g, &g->runs[0], 6, &t), 0);
    assert_string_equal(t.config_hash, g->runs[0].trajectory_hash);
    assert_string_equal(t.config_id, g->runs[0].trajectory_id);
    assert_int_equal(t.options.train.epochs, 6);
    assert_true(t.options.train.decay_fraction == 0);
    assert_null(param(&t, "train.epochs"));
    assert_null(param(&t, "train.decay_shape"));
    assert_string_equal(param(&t, "train.schedule"), "wsd");
    assert_non_null(strstr(t.json, "\"epochs\":null"));
    assert_int_equal(strncmp(t.label, "trajectory of ", 14), 0);
    assert_null(strstr(t.label, "epochs"));
    config_run_free(&t);
    config_grid_free(other);
    config_grid_free(g);
}

/* Behaviour change 1: a residual network starts as the identity, so residual configurations carry
 * rules=1 and moved; the others did not (both carry the changes that apply to every
 * configuration). */
static void test_residual_identity_rule(void **state)
{
    (void)state;
    config_grid *g = expand_text("[model]\nresidual = false, true\n", "t.ini");
    assert_non_null(strstr(g->runs[0].canonical, "\nrules=2,3\nseed=1\n"));
    assert_non_null(strstr(g->runs[1].canonical, "\nrules=1,2,3\nseed=1\n"));
    config_grid_free(g);
}

static void test_identity_excludes(void **state)
{
    (void)state;
    config_grid *g = expand_text("[sweep]\nname = other\ndatabase = elsewhere.db\n"
                                 "[train]\nthreads = 7\n", "t.ini");
    assert_string_equal(g->runs[0].config_hash, default_config_hash);
    assert_string_equal(param(&g->runs[0], "train.threads"), "7");
    assert_int_equal(g->runs[0].options.train.threads, 7);
    config_grid_free(g);
    g = expand_text("[train]\nepochs = 13\n", "t.ini");
    assert_string_not_equal(g->runs[0].config_hash, default_config_hash);
    assert_string_not_equal(g->runs[0].config_id, default_config_id);
    config_grid_free(g);
}

/* ---- the grid ------------------------------------------------------------------------------- */

static void test_design_example(void **state)
{
    (void)state;
    char *dir = make_temp_dir(), path[256];
    snprintf(path, sizeof path, "%s/lossweights.ini", dir);
    write_file(path, design_example);
    config *c;
    config_grid *g;
    char err[512];
    assert_int_equal(config_parse_file(path, &c, err, sizeof err), 0);
    assert_string_equal(config_ini_text(c), design_example);
    assert_int_equal(config_expand(c, &g, err, sizeof err), 0);
    config_free(c);
    unlink(path);
    rmdir(dir);
    free(dir);

    assert_string_equal(g->name, "lossweights");
    assert_string_equal(config_database(g, NULL), "results/wb.db");
    assert_string_equal(config_database(g, "x/y.db"), "x/y.db");
    assert_string_equal(g->axes, "loss.laplacian_weight,loss.kernel");
    assert_int_equal(g->naxes, 2);
    assert_int_equal(g->nruns, 3 + 5 * 2 * 3);

    /* λ = 0: one baseline per seed, kernel collapsed */
    for (int s = 0; s < 3; s++) {
        const config_run *r = &g->runs[s];
        assert_int_equal(r->grid_index, s);
        assert_int_equal(r->options.seed, (uint64_t)s + 1);
        assert_true(r->options.loss.lap_weight == 0);
        assert_null(param(r, "loss.kernel"));
        assert_null(param(r, "loss.border"));
        assert_null(param(r, "loss.kernel_norm"));
        assert_null(strstr(r->canonical, "loss.kernel"));
        assert_null(strstr(r->canonical, "loss.border"));
        assert_string_equal(r->axis_values[0], "0");
        assert_null(r->axis_values[1]);
        char label[32];
        snprintf(label, sizeof label, "λ = 0, seed %d", s + 1);
        assert_string_equal(r->label, label);
    }
    /* then weights, outer, kernels, seeds innermost, in the order written */
    static const double weights[] = {0.05, 0.1, 0.3, 0.6, 1.0};
    static const char *const weight_text[] = {"0.05", "0.1", "0.3", "0.6", "1"};
    /* λ times the white-noise gain of K4 (20) and K8 (72) */
    static const char *const effective_text[][2] = {{"1", "3.6"}, {"2", "7.2"}, {"6", "21.6"},
                                                    {"12", "43.2"}, {"20", "72"}};
    static const int kernels[] = {LAP_K4, LAP_K8};
    int i = 3;
    for (int w = 0; w < 5; w++)
        for (int k = 0; k < 2; k++)
            for (int s = 1; s <= 3; s++, i++) {
                const config_run *r = &g->runs[i];
                assert_int_equal(r->grid_index, i);
                assert_true(r->options.loss.lap_weight == weights[w]);
                assert_int_equal(r->options.loss.kernel, kernels[k]);
                assert_int_equal(r->options.loss.border, BORDER_REFLECT101);
                assert_int_equal(r->options.seed, (uint64_t)s);
                assert_string_equal(param(r, "loss.kernel"), k ? "8" : "4");
                assert_string_equal(param(r, "loss.border"), "reflect101");
                assert_string_equal(param(r, "loss.kernel_norm"), "none");
                assert_string_equal(r->axis_values[0], weight_text[w]);
                char label[64];
                snprintf(label, sizeof label, "λ = %s (eff. %s), kernel %s, seed %d",
                         weight_text[w], effective_text[w][k], k ? "8" : "4", s);
                assert_string_equal(r->label, label);
            }
    assert_string_equal(param(&g->runs[9], "loss.laplacian_weight"), "0.10000000000000001");

    /* config_id: equal across seeds, different across configurations; hashes all distinct */
    for (size_t a = 0; a < g->nruns; a++)
        for (size_t b = a + 1; b < g->nruns; b++) {
            const config_run *x = &g->runs[a], *y = &g->runs[b];
            int same_config = x->options.loss.lap_weight == y->options.loss.lap_weight &&
                              (x->options.loss.lap_weight == 0 ||
                               x->options.loss.kernel == y->options.loss.kernel);
            assert_string_not_equal(x->config_hash, y->config_hash);
            if (same_config)
                assert_string_equal(x->config_id, y->config_id);
            else
                assert_string_not_equal(x->config_id, y->config_id);
        }
    /* the baseline is the default configuration */
    assert_string_equal(g->runs[0].config_hash, default_config_hash);
    config_grid_free(g);
}

static void test_keras_recipe_forces_zero_border(void **state)
{
    (void)state;
    config_grid *g = expand_text("[loss]\nlaplacian_weight = 0.1\n"
                                 "kernel = keras-recipe, 8\n"
                                 "border = reflect101, replicate, zero\n", "t.ini");
    /* keras-recipe x 3 borders collapse into one run; kernel 8 keeps its 3 borders */
    assert_int_equal(g->nruns, 4);
    assert_int_equal(g->runs[0].options.loss.kernel, LAP_KERAS_RECIPE);
    assert_int_equal(g->runs[0].options.loss.border, BORDER_ZERO);
    assert_string_equal(param(&g->runs[0], "loss.border"), "zero");
    assert_non_null(strstr(g->runs[0].canonical, "loss.border=zero\n"));
    static const char *const borders[] = {"reflect101", "replicate", "zero"};
    for (int i = 1; i < 4; i++) {
        assert_string_equal(param(&g->runs[i], "loss.kernel"), "8");
        assert_string_equal(param(&g->runs[i], "loss.border"), borders[i - 1]);
        assert_int_equal(g->runs[i].grid_index, i);
    }
    assert_string_equal(g->axes, "loss.kernel,loss.border");
    assert_string_equal(g->runs[0].label,
                        "λ = 0.1 (eff. 21.6), kernel keras-recipe, border zero, seed 1");
    config_grid_free(g);
}

/* Axes nest in table order whatever the file's order; values keep the order written. */
static void test_grid_order(void **state)
{
    (void)state;
    config_grid *g = expand_text("[train]\nlr = 0.01, 0.001\n[data]\npatch = 32, 16\n"
                                 "[sweep]\nseeds = 5, 4\n", "t.ini");
    static const int patch[] = {32, 32, 32, 32, 16, 16, 16, 16};
    static const double lr[] = {0.01, 0.01, 0.001, 0.001, 0.01, 0.01, 0.001, 0.001};
    static const uint64_t seed[] = {5, 4, 5, 4, 5, 4, 5, 4};
    assert_int_equal(g->nruns, 8);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(g->runs[i].options.data.patch, patch[i]);
        assert_true(g->runs[i].options.train.lr == lr[i]);
        assert_int_equal(g->runs[i].options.seed, seed[i]);
    }
    assert_string_equal(g->axes, "data.patch,train.lr");
    assert_string_equal(g->runs[1].label, "λ = 0, patch 32, lr 0.01, seed 4");
    config_grid_free(g);
    /* a repeated value is dropped, keeping the first */
    g = expand_text("[sweep]\nseeds = 3, 3, 2\n[loss]\nkernel = 4, 4\n", "t.ini");
    assert_int_equal(g->nruns, 2);
    assert_int_equal(g->runs[0].options.seed, 3);
    assert_int_equal(g->runs[1].options.seed, 2);
    assert_int_equal(g->runs[1].grid_index, 1);
    config_grid_free(g);
}

static void test_values(void **state)
{
    (void)state;
    config_grid *g = expand_text(
        "[sweep]\nseeds = 0, 9223372036854775807\n"
        "[data]\nsource = png:/some dir\ntask = SR2\nfresh_noise = Off\nclip = yes\n"
        "seed = 9223372036854775807\nblur_sigma = 16\nsr_upsample = nearest\n"
        "[model]\nresidual = on\n[train]\noptimizer = sgd\nmomentum = 0\n"
        "[loss]\nlaplacian_weight = -0, 1e-3\npixel = charbonnier\nkernel_norm = l1\n"
        "    ; an indented comment\n", "t.ini");
    assert_int_equal(g->nruns, 4);
    const config_run *r = &g->runs[3];
    assert_string_equal(r->options.data.source, "png:/some dir");
    assert_int_equal(r->options.data.task, DATA_TASK_SR2);
    assert_int_equal(r->options.data.fresh_noise, 0);
    assert_int_equal(r->options.data.clip, 1);
    assert_int_equal(r->options.data.seed, INT64_MAX);
    assert_int_equal(r->options.seed, INT64_MAX);
    assert_int_equal(r->options.model.residual, 1);
    assert_int_equal(r->options.train.optimizer, OPT_SGD);
    assert_int_equal(r->options.loss.pixel, PIXEL_CHARBONNIER);
    assert_int_equal(r->options.loss.kernel_norm, LAP_NORM_L1);
    assert_string_equal(param(r, "data.task"), "sr2");
    assert_string_equal(param(r, "data.fresh_noise"), "false");
    assert_string_equal(param(r, "train.lr"), "0.001");
    /* -0 is 0: the baseline, printed "0" */
    assert_string_equal(param(&g->runs[0], "loss.laplacian_weight"), "0");
    assert_null(param(&g->runs[0], "loss.kernel_norm"));
    /* the JSON is typed, 64-bit integers exact */
    assert_non_null(strstr(r->json, "\"seed\":9223372036854775807}"));
    cJSON *json = cJSON_Parse(r->json);
    assert_non_null(json);
    cJSON *data = cJSON_GetObjectItemCaseSensitive(json, "data");
    assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(data, "source")));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(data, "fresh_noise")));
    assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(data, "patch")));
    assert_null(cJSON_GetObjectItemCaseSensitive(json, "sweep"));
    cJSON_Delete(json);
    json = cJSON_Parse(g->runs[0].json);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(json, "loss"), "kernel")));
    cJSON_Delete(json);
    config_grid_free(g);
}

/* inih would continue the previous value on an indented line; the reader strips indentation. */
static void test_indented_lines_are_lines(void **state)
{
    (void)state;
    config_grid *g = expand_text("  [loss]\n  laplacian_weight = 0.5\n\tkernel = 4\r\n", "t.ini");
    assert_true(g->runs[0].options.loss.lap_weight == 0.5);
    assert_int_equal(g->runs[0].options.loss.kernel, LAP_K4);
    config_grid_free(g);
}

/* A batch larger than the training set is allowed (one partial batch per epoch). */
static void test_batch_larger_than_split(void **state)
{
    (void)state;
    config_grid *g = expand_text("[data]\ntrain_patches = 10\n[train]\nbatch_size = 65536\n",
                                 "t.ini");
    assert_int_equal(g->runs[0].options.train.batch_size, 65536);
    config_grid_free(g);
}

/* ---- errors --------------------------------------------------------------------------------- */

struct error_case {
    const char *text;
    const char *set;            /* one --set, or NULL */
    const char *prefix;         /* FILE:LINE: or --set:N: */
    const char *contains[3];
};

static const struct error_case error_cases[] = {
    /* unknown key: its line, the section's keys, the likeliest */
    {"[sweep]\nseeds = 1\n[loss]\nlossweight = 0.1\n", NULL, "t.ini:4: ",
     {"[loss] lossweight = 0.1: unknown key", "pixel, laplacian_weight, kernel, border, "
      "kernel_norm", "did you mean 'laplacian_weight'?"}},
    {"[train]\nbatchsize = 3\n", NULL, "t.ini:2: ", {"did you mean 'batch_size'?"}},
    {"[loss]\nepochs = 3\n", NULL, "t.ini:2: ", {"'epochs' belongs in [train]"}},
    /* unknown section, even without keys */
    {"[data]\n\n[lose]\n", NULL, "t.ini:3: ",
     {"unknown section [lose]", "[sweep], [data], [model], [train], [loss], [report]",
      "did you mean [loss]?"}},
    {"[reprot]\n", NULL, "t.ini:1: ", {"did you mean [report]?"}},
    /* [report]: one margin per image metric, one number each, never through --set */
    {"[report]\nmargin.psnrr = 0.1\n", NULL, "t.ini:2: ",
     {"[report] margin.psnrr = 0.1: unknown key", "margin.psnr, margin.psnr_pooled, margin.ssim",
      "did you mean 'margin.psnr'?"}},
    {"[report]\ndelta = 0.1\n", NULL, "t.ini:2: ", {"unknown key; valid keys in [report]"}},
    {"[report]\nmargin.loss = 0.1\n", NULL, "t.ini:2: ", {"unknown key"}},
    {"[report]\nmargin.psnr = 0.1\nmargin.psnr = 0.3\n", NULL, "t.ini:3: ",
     {"duplicate key (first set at line 2)"}},
    {"[report]\nmargin.psnr = 0.1, 0.2\n", NULL, "t.ini:2: ", {"one value", "not a sweep axis"}},
    {"[report]\nmargin.psnr = -0.1\n", NULL, "t.ini:2: ", {"expected a number >= 0", "negative"}},
    {"[report]\nmargin.psnr = nan\n", NULL, "t.ini:2: ", {"NaN"}},
    {"", "report.margin.psnr=0.1", "--set:1: ", {"belongs in the INI file"}},
    {"kernel = 4\n", NULL, "t.ini:1: ", {"outside any section"}},
    /* duplicate key: names the first line */
    {"[loss]\nkernel = 4\n\nkernel = 8\n", NULL, "t.ini:4: ",
     {"[loss] kernel = 8: duplicate key (first set at line 2)"}},
    {"[loss]\nkernel = 4\n[data]\n[loss]\nkernel = 4\n", NULL, "t.ini:5: ", {"duplicate key"}},
    /* bad values */
    {"[train]\noptimizer = rmsprop\n", NULL, "t.ini:2: ",
     {"[train] optimizer = rmsprop: expected one of adam, sgd"}},
    {"[train]\nlr = nan\n", NULL, "t.ini:2: ", {"[train] lr = nan: expected a number > 0", "NaN"}},
    {"[train]\nlr = inf\n", NULL, "t.ini:2: ", {"[train] lr = inf: expected", "infinity"}},
    {"[loss]\nlaplacian_weight = -Infinity\n", NULL, "t.ini:2: ", {"infinity"}},
    {"[loss]\nlaplacian_weight = 0.1, -0.5\n", NULL, "t.ini:2: ",
     {"[loss] laplacian_weight = 0.1, -0.5: item 2 (-0.5): expected a number >= 0",
      "-0.5 is negative"}},
    {"[loss]\nlaplacian_weight = 1e7\n", NULL, "t.ini:2: ", {"<= 1000000", "too large"}},
    {"[train]\nlr = 1e999\n", NULL, "t.ini:2: ", {"too large"}},
    {"[train]\nlr = 0\n", NULL, "t.ini:2: ", {"expected a number > 0"}},
    {"[train]\nlr = 0.1x\n", NULL, "t.ini:2: ", {"not a number"}},
    {"[train]\nlr =\n", NULL, "t.ini:2: ", {"the value is empty"}},
    {"[train]\nmomentum = 1\n", NULL, "t.ini:2: ", {"expected a number >= 0 and < 1"}},
    {"[data]\nnoise_sigma = -0.1\n", NULL, "t.ini:2: ", {"[data] noise_sigma", "negative"}},
    {"[data]\nmin_std = -1\n", NULL, "t.ini:2: ", {"[data] min_std", "negative"}},
    {"[data]\nblur_sigma = 0\n", NULL, "t.ini:2: ", {"[data] blur_sigma", "> 0 and <= 16"}},
    {"[data]\ntrain_patches = 0\n", NULL, "t.ini:2: ",
     {"[data] train_patches = 0: expected an integer from 1 to 10000000", "empty"}},
    {"[data]\nval_patches = 10000001\n", NULL, "t.ini:2: ", {"too large"}},
    {"[data]\ntest_patches = -3\n", NULL, "t.ini:2: ", {"negative"}},
    {"[data]\npatch = 15\n", NULL, "t.ini:2: ", {"even integer from 8 to 64", "odd"}},
    {"[data]\npatch = 66\n", NULL, "t.ini:2: ", {"too large"}},
    {"[data]\npatch = 16.0\n", NULL, "t.ini:2: ", {"not an integer"}},
    {"[data]\nseed = -1\n", NULL, "t.ini:2: ", {"0 to 9223372036854775807", "negative"}},
    {"[sweep]\nseeds = 9223372036854775808\n", NULL, "t.ini:2: ", {"too large"}},
    {"[data]\nsource = png:\n", NULL, "t.ini:2: ", {"expected builtin, png:DIR or npy:DIR"}},
    {"[data]\nfresh_noise = maybe\n", NULL, "t.ini:2: ", {"expected true or false"}},
    {"[model]\ndepth = 4\n", NULL, "t.ini:2: ", {"from 1 to 3"}},
    {"[model]\nbase_channels = 257\n", NULL, "t.ini:2: ", {"from 1 to 256"}},
    {"[train]\nepochs = 100001\n", NULL, "t.ini:2: ", {"from 1 to 100000"}},
    {"[train]\nbatch_size = 0\n", NULL, "t.ini:2: ", {"from 1 to 65536"}},
    {"[train]\nthreads = 1025\n", NULL, "t.ini:2: ", {"from 0 to 1024"}},
    {"[sweep]\nname =\n", NULL, "t.ini:2: ", {"non-empty text of at most 200 characters"}},
    {"[sweep]\ndatabase =\n", NULL, "t.ini:2: ", {"non-empty path"}},
    {"[data]\npatch = 16, , 32\n", NULL, "t.ini:2: ", {"item 2 is empty"}},
    {"[data]\npatch = 16,\n", NULL, "t.ini:2: ", {"item 2 is empty"}},
    /* depth/patch: at the later of the two lines */
    {"[data]\npatch = 16, 12\n[model]\ndepth = 3\n", NULL, "t.ini:4: ",
     {"[model] depth = 3: expected 2^depth = 8 to divide data.patch = 12 (t.ini:2)"}},
    {"[model]\ndepth = 3\n[data]\npatch = 16, 20\n", NULL, "t.ini:4: ",
     {"[data] patch = 20: expected a multiple of 2^model.depth = 8", "(model.depth = 3, t.ini:2)"}},
    {"[data]\npatch = 18\n", NULL, "t.ini:2: ",
     {"[data] patch = 18: expected a multiple of 2^model.depth = 4 (model.depth = 2, default)"}},
    {"[data]\npatch = 12\n", "model.depth=3", "--set:1: ", {"[model] depth = 3"}},
    /* syntax */
    {"[loss]\nthis is not a key\n", NULL, "t.ini:2: ", {"this is not a key: expected"}},
    {"[loss\n", NULL, "t.ini:1: ", {"expected [section]"}},
    /* a syntax error before a bad value is the one reported */
    {"[loss]\njunk\nkernel = 9\n", NULL, "t.ini:2: ", {"junk"}},
    {"[loss]\nkernel = 9\njunk\n", NULL, "t.ini:2: ", {"kernel = 9"}},
    /* --set */
    {"[loss]\nlaplacian_weight = 0.1\n", "loss.laplacian_weight=0.1, 0.3", "--set:1: ",
     {"wb run's --set takes one value; a list makes a sweep (wb sweep FILE --set)"}},
    {"", "loss.lossweight=1", "--set:1: ", {"unknown key", "did you mean 'laplacian_weight'?"}},
    {"", "lr=1", "--set:1: ", {"expected section.key=value", "did you mean 'train.lr'?"}},
    {"", "trian.lr=1", "--set:1: ", {"unknown section [trian]", "did you mean [train]?"}},
    {"", "train.lr", "--set:1: ", {"expected section.key=value"}},
    {"", "train.lr=nan", "--set:1: ", {"[train] lr = nan", "NaN"}},
};

static void test_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
        const struct error_case *e = &error_cases[i];
        if (!e->prefix)
            continue;
        const char *sets[] = {e->set, NULL};
        char err[1024];
        error_of(e->text, sets, err, sizeof err);
        print_message("case %zu: %s\n", i, err);
        assert_starts_with(err, e->prefix);
        for (int j = 0; j < 3 && e->contains[j]; j++)
            assert_contains(err, e->contains[j]);
    }
}

/* [report] judges results: it sets margins, and moves no hash, param, axis or JSON. */
static void test_report_section(void **state)
{
    (void)state;
    static const char runs[] = "[loss]\nlaplacian_weight = 0, 0.1\nkernel = 4, 8\n";
    static const char judged[] = "[loss]\nlaplacian_weight = 0, 0.1\nkernel = 4, 8\n"
                                 "[report]\nmargin.psnr = 0.1 ; a tighter margin\n"
                                 "margin.ssim = 0.01\n[sweep]\nseeds = 1\n";
    config *plain = NULL, *with = NULL;
    char err[1024] = "";
    if (config_parse_string(runs, "t.ini", &plain, err, sizeof err) ||
        config_parse_string(judged, "t.ini", &with, err, sizeof err))
        fail_msg("%s", err);
    config_report r;
    config_report_of(plain, &r);
    assert_true(r.margin[METRIC_PSNR] == metric_def_of(METRIC_PSNR)->delta);
    assert_true(r.margin[METRIC_PSNR] == 0.2);
    assert_false(r.from_ini[METRIC_PSNR]);
    config_report_of(with, &r);
    assert_true(r.margin[METRIC_PSNR] == 0.1);
    assert_true(r.from_ini[METRIC_PSNR]);
    assert_true(r.margin[METRIC_SSIM] == 0.01);
    assert_true(r.margin[METRIC_MSE] == 0);
    assert_false(r.from_ini[METRIC_MSE]);
    config_grid *a = NULL, *b = NULL;
    if (config_expand(plain, &a, err, sizeof err) || config_expand(with, &b, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(a->nruns, b->nruns);
    assert_string_equal(a->axes, b->axes);
    for (size_t i = 0; i < a->nruns; i++) {
        assert_string_equal(a->runs[i].config_hash, b->runs[i].config_hash);
        assert_string_equal(a->runs[i].config_id, b->runs[i].config_id);
        assert_string_equal(a->runs[i].canonical, b->runs[i].canonical);
        assert_string_equal(a->runs[i].json, b->runs[i].json);
        assert_int_equal(a->runs[i].nparams, b->runs[i].nparams);
        for (size_t k = 0; k < a->runs[i].nparams; k++)
            assert_null(strstr(b->runs[i].params[k].key, "report"));
        assert_null(strstr(b->runs[i].json, "margin"));
    }
    config_grid_free(a);
    config_grid_free(b);
    config_free(plain);
    config_free(with);

    /* Read back from a sweep's stored text: [report] alone, whatever else the text holds. */
    assert_int_equal(config_report_parse(judged, "sweep", &r, err, sizeof err), 0);
    assert_true(r.margin[METRIC_PSNR] == 0.1 && r.from_ini[METRIC_PSNR]);
    assert_int_equal(config_report_parse(NULL, "sweep", &r, err, sizeof err), 0);
    assert_true(r.margin[METRIC_PSNR] == 0.2 && !r.from_ini[METRIC_PSNR]);
    assert_int_equal(config_report_parse("[old]\nkey = 1\n[report]\nmargin.mse = 1e-4\n",
                                         "sweep", &r, err, sizeof err), 0);
    assert_true(r.margin[METRIC_MSE] == 1e-4);
    assert_int_equal(config_report_parse("[report]\nmargin.psnr = x\n", "lossweights", &r, err,
                                         sizeof err), -1);
    assert_starts_with(err, "lossweights:2: [report] margin.psnr = x: ");
}

/* The limit of the installed inih: INI_MAX_LINE counts the line, "\r\n" and the NUL. */
static void test_line_length(void **state)
{
    (void)state;
    enum { LIMIT = INI_MAX_LINE - 3 };
    char line[LIMIT + 2], text[LIMIT + 64];
    /* a name line of exactly LIMIT characters: accepted, whole */
    memset(line, 'n', sizeof line);
    memcpy(line, "name = ", 7);
    line[LIMIT] = '\0';
    snprintf(text, sizeof text, "[sweep]\n%s\n[data]\n", line);
    config_grid *g = expand_text(text, "t.ini");
    assert_int_equal(strlen(g->name), LIMIT - 7);
    config_grid_free(g);
    /* with \r\n too */
    snprintf(text, sizeof text, "[sweep]\r\n%s\r\n", line);
    g = expand_text(text, "t.ini");
    assert_int_equal(strlen(g->name), LIMIT - 7);
    config_grid_free(g);
    /* one more: refused, not split */
    line[LIMIT] = 'n';
    line[LIMIT + 1] = '\0';
    snprintf(text, sizeof text, "[sweep]\n\n%s\n", line);
    char err[512], expected[64];
    error_of(text, NULL, err, sizeof err);
    snprintf(expected, sizeof expected, "t.ini:3: line longer than %d characters", LIMIT);
    assert_starts_with(err, expected);
    /* and says how many seeds fit anyway (issue 15, item 9) */
    assert_contains(err, "fits as ranges: seeds = 1-100");
    /* an over-long comment is refused too: inih would read its tail as a line */
    snprintf(text, sizeof text, ";%s\n", line);
    error_of(text, NULL, err, sizeof err);
    assert_starts_with(err, "t.ini:1: line longer than");
}

/* Ranges (issue 15, item 9): Debian's inih reads at most 197 characters a line, about 50 seeds;
 * "1-100" is every integer from 1 to 100, alone or as items of a list, for integer keys only. */
static void test_ranges(void **state)
{
    (void)state;
    config_grid *g = expand_text("[sweep]\nseeds = 1-5, 10, 20 - 22\n", "t.ini");
    static const long long expected[] = {1, 2, 3, 4, 5, 10, 20, 21, 22};
    assert_int_equal(g->nruns, 9);
    for (size_t i = 0; i < g->nruns; i++)
        assert_int_equal(g->runs[i].options.seed, expected[i]);
    config_grid_free(g);
    g = expand_text("[sweep]\nseeds = 1-300\n[data]\npatch = 16-16\n", "t.ini");
    assert_int_equal(g->nruns, 300);
    assert_int_equal(g->runs[299].options.seed, 300);
    assert_int_equal(g->runs[0].options.data.patch, 16);
    config_grid_free(g);
    /* the same runs, hashes included, as the list written out */
    config_grid *a = expand_text("[sweep]\nseeds = 3-5\n", "t.ini");
    config_grid *b = expand_text("[sweep]\nseeds = 3, 4, 5\n", "t.ini");
    assert_int_equal(a->nruns, b->nruns);
    for (size_t i = 0; i < a->nruns; i++)
        assert_string_equal(a->runs[i].config_hash, b->runs[i].config_hash);
    config_grid_free(a);
    config_grid_free(b);
    static const struct {
        const char *text, *set, *contains;
    } bad[] = {
        {"[sweep]\nseeds = 5-3\n", NULL, "[sweep] seeds = 5-3: expected a range from the "
                                           "smaller value to the larger, 3-5"},
        {"[sweep]\nseeds = 1, 2-20000\n", NULL, "item 2 (2-20000): expected at most 10000"},
        {"[sweep]\nseeds = 1-9223372036854775807\n", NULL, "expected at most 10000"},
        {"[data]\npatch = 8-12\n", NULL, "[data] patch = 8-12: expected an even integer from 8 "
                                          "to 64; 9 is odd"},
        {"[data]\npatch = 8-80\n", NULL, "80 is too large"},
        {"[train]\nlr = 1-2\n", NULL, "[train] lr = 1-2: expected a number"},
        {"[sweep]\nseeds = 1-\n", NULL, "[sweep] seeds = 1-: expected an integer"},
        {"[sweep]\nseeds = 1-2-3\n", NULL, "not an integer"},
        {"[sweep]\nseeds = -5\n", NULL, "-5 is negative"},
        {"", "sweep.seeds=1-3", "--set takes one value; ranges belong in the INI file"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *sets[] = {bad[i].set, NULL};
        char err[1024];
        error_of(bad[i].text, sets, err, sizeof err);
        print_message("range case %zu: %s\n", i, err);
        assert_contains(err, bad[i].contains);
    }
}

static void test_grid_limit(void **state)
{
    (void)state;
    char err[512];
    error_of("[sweep]\nseeds = 1,2,3,4,5,6,7,8,9,10\n"
             "[data]\nval_patches = 1,2,3,4,5,6,7,8,9,10\n"
             "test_patches = 1,2,3,4,5,6,7,8,9,10\n"
             "train_patches = 1,2,3,4,5,6,7,8,9,10\nseed = 1, 2\n", NULL, err, sizeof err);
    assert_string_equal(err, "t.ini: the grid has more than 10000 points; split the sweep");
}

static void test_file_errors(void **state)
{
    (void)state;
    config *c = (config *)&c;  /* not NULL: a failed parse must reset it */
    char err[512];
    assert_int_equal(config_parse_file("/nonexistent/x.ini", &c, err, sizeof err), -1);
    assert_null(c);
    assert_starts_with(err, "/nonexistent/x.ini: cannot open: ");
    char *dir = make_temp_dir(), path[256];
    snprintf(path, sizeof path, "%s/nul.ini", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite("[loss]\nkernel = 4\0x\n", 1, 20, f);
    fclose(f);
    assert_int_equal(config_parse_file(path, &c, err, sizeof err), -1);
    assert_contains(err, "nul.ini:2: NUL byte");
    assert_int_equal(config_parse_file(dir, &c, err, sizeof err), -1);
    assert_contains(err, "not a regular file (a folder)");
    unlink(path);
    rmdir(dir);
    free(dir);
}

/* ---- --set ---------------------------------------------------------------------------------- */

static void test_set(void **state)
{
    (void)state;
    config *c;
    config_grid *g;
    char err[512];
    assert_int_equal(config_parse_string(design_example, "t.ini", &c, err, sizeof err), 0);
    /* replaces the file's list; not a duplicate; the later of two --set wins */
    assert_int_equal(config_set(c, "loss.laplacian_weight = 0.3", 1, err, sizeof err), 0);
    assert_int_equal(config_set(c, "loss.kernel=8", 2, err, sizeof err), 0);
    assert_int_equal(config_set(c, "sweep.seeds=7", 3, err, sizeof err), 0);
    assert_int_equal(config_set(c, "loss.kernel=4", 4, err, sizeof err), 0);
    /* a failed --set changes nothing */
    assert_int_equal(config_set(c, "loss.kernel=5", 5, err, sizeof err), -1);
    assert_starts_with(err, "--set:5: [loss] kernel = 5: expected one of 4, 8, keras-recipe");
    assert_int_equal(config_set(c, "train.threads=3", 6, err, sizeof err), 0);
    assert_int_equal(config_expand(c, &g, err, sizeof err), 0);
    assert_int_equal(g->nruns, 1);
    assert_true(g->runs[0].options.loss.lap_weight == 0.3);
    assert_int_equal(g->runs[0].options.loss.kernel, LAP_K4);
    assert_int_equal(g->runs[0].options.seed, 7);
    assert_int_equal(g->runs[0].options.train.threads, 3);
    assert_string_equal(g->name, "lossweights");
    /* the INI text is the file's, untouched by --set */
    assert_string_equal(config_ini_text(c), design_example);
    config_grid_free(g);
    /* a --set fixes a depth the file got wrong */
    assert_int_equal(config_set(c, "model.depth=3", 7, err, sizeof err), 0);
    assert_int_equal(config_set(c, "data.patch=24", 8, err, sizeof err), 0);
    assert_int_equal(config_expand(c, &g, err, sizeof err), 0);
    assert_int_equal(g->runs[0].options.model.depth, 3);
    config_grid_free(g);
    config_free(c);
}

/* ---- hostile names -------------------------------------------------------------------------- */

static void test_hostile_names(void **state)
{
    (void)state;
    static const char *const names[] = {
        "it's \"quoted\" `uname` $(rm -rf /) <script>alert(1)</script> & ; DROP TABLE runs;--",
        "a, b, c",
        "λ ≈ 0.1 % %s %n \\ \\n",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        /* in the file (the ' ;' of an inline comment aside, INI's one reserved sequence) */
        char text[512];
        int semicolon_comment = strstr(names[i], " ;") != NULL;
        snprintf(text, sizeof text, "[sweep]\nname = %s\n", names[i]);
        config_grid *g = expand_text(text, "t.ini");
        if (!semicolon_comment)
            assert_string_equal(g->name, names[i]);
        assert_string_equal(g->runs[0].config_hash, default_config_hash);
        assert_null(strstr(g->runs[0].json, "rm -rf"));
        config_grid_free(g);
        /* through --set: verbatim, whatever it holds */
        config *c;
        char err[512], set[512];
        assert_int_equal(config_parse_string("", "t.ini", &c, err, sizeof err), 0);
        snprintf(set, sizeof set, "sweep.name=%s", names[i]);
        assert_int_equal(config_set(c, set, 1, err, sizeof err), 0);
        assert_int_equal(config_expand(c, &g, err, sizeof err), 0);
        assert_string_equal(g->name, names[i]);
        config_grid_free(g);
        config_free(c);
    }
    /* 200 characters (not bytes) at most */
    char name[2 * 201 + 16] = "sweep.name=";
    for (int i = 0; i < 200; i++)
        strcat(name, "λ");
    config *c;
    char err[512];
    assert_int_equal(config_parse_string("", "t.ini", &c, err, sizeof err), 0);
    assert_int_equal(config_set(c, name, 1, err, sizeof err), 0);
    strcat(name, "x");
    assert_int_equal(config_set(c, name, 2, err, sizeof err), -1);
    assert_contains(err, "at most 200 characters");
    assert_int_equal(config_set(c, "sweep.name=a\nb", 3, err, sizeof err), -1);
    assert_contains(err, "control characters");
    config_free(c);
}

/* ---- wb config --defaults -------------------------------------------------------------------- */

static void test_print_defaults_parses_back(void **state)
{
    (void)state;
    char *dir = make_temp_dir(), path[256];
    snprintf(path, sizeof path, "%s/defaults.ini", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    config_print_defaults(f);
    assert_int_equal(fclose(f), 0);

    config *c;
    config_grid *printed, *builtin = expand_text("", "defaults.ini");
    char err[512];
    if (config_parse_file(path, &c, err, sizeof err) ||
        config_expand(c, &printed, err, sizeof err))
        fail_msg("%s", err);
    /* it sets every key but sweep.name (whose default is the file name) */
    const char *text = config_ini_text(c);
    static const char *const present[] = {"\n[sweep]\n", "\ndatabase = results/wb.db\n",
                                          "\nseeds = 1\n", "\n[loss]\n", "\nkernel = 8\n",
                                          "\nborder = reflect101\n", "\nthreads = 0\n",
                                          "\n; name =\n", "\nlr = 0.001\n"};
    for (size_t i = 0; i < sizeof present / sizeof present[0]; i++)
        assert_contains(text, present[i]);
    assert_int_equal(printed->nruns, 1);
    assert_string_equal(printed->name, builtin->name);
    assert_string_equal(printed->database, builtin->database);
    assert_string_equal(printed->runs[0].canonical, builtin->runs[0].canonical);
    assert_string_equal(printed->runs[0].json, builtin->runs[0].json);
    assert_string_equal(printed->runs[0].config_hash, default_config_hash);
    assert_memory_equal(&printed->runs[0].options, &builtin->runs[0].options,
                        sizeof(run_options));
    config_grid_free(printed);
    config_grid_free(builtin);
    config_free(c);
    unlink(path);
    rmdir(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_default_identity),
        cmocka_unit_test(test_identity_excludes),
        cmocka_unit_test(test_schedule_keys_identity),
        cmocka_unit_test(test_wsd_trajectory_identity),
        cmocka_unit_test(test_residual_identity_rule),
        cmocka_unit_test(test_design_example),
        cmocka_unit_test(test_keras_recipe_forces_zero_border),
        cmocka_unit_test(test_grid_order),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_indented_lines_are_lines),
        cmocka_unit_test(test_batch_larger_than_split),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_line_length),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_grid_limit),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_set),
        cmocka_unit_test(test_hostile_names),
        cmocka_unit_test(test_print_defaults_parses_back),
        cmocka_unit_test(test_report_section),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
