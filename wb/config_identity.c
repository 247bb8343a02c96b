/* wb/config_identity.c: a run's identity (wb/config.h, "identity across versions"): the
 * canonical text, config_hash and config_id, a trajectory's, and the table of behaviour changes
 * (identity rule 2). */
#include "wb/config_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/sha2.h>


/* Identity rule 2: what changed, since the first version, in what existing configurations
 * compute, oldest first, each with the next version number and a predicate over the resolved
 * options saying which configurations compute differently (for λ = 0 the Laplacian term's
 * fields hold their defaults and mean nothing). Such a configuration's canonical text gains
 * `rules=` and the versions that apply to it; every other keeps its hashes. A row is never
 * edited or removed once released: a later change gets a row of its own. Ended by a row without
 * a description. tests/fixtures/lossweights-v1.hashes says which hashes each row moved. */
static int applies_if_residual(const run_options *o)
{
    return o->model.residual != 0;
}

/* For a change to what every configuration computes. */
static int applies_always(const run_options *o)
{
    (void)o;
    return 1;
}

static const config_behaviour_change behaviour_changes[] = {
    {1, "a residual network's output layer starts at zero: the untrained network is the identity",
     applies_if_residual},
    {2, "per-patch PSNR floors each patch's MSE at 8-bit quantisation noise, (1/255)^2/12: an "
        "exact patch counts 58.92 dB instead of +inf", applies_always},
    {3, "the best epoch (best.safetensors, the preview, every 'best' statistic) has the lowest "
        "validation MSE, ties to the earlier; it had the highest validation PSNR", applies_always},
    {0, NULL, NULL},
};

const config_behaviour_change *config_behaviour_changes(size_t *n)
{
    for (*n = 0; behaviour_changes[*n].description; (*n)++)
        ;
    return behaviour_changes;
}
static void hex_digest(struct sha256_ctx *ctx, char out[CONFIG_HASH_LEN + 1])
{
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_digest(ctx, sizeof digest, digest);
    for (size_t i = 0; i < sizeof digest; i++)
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

static int compare_identity_keys(const void *a, const void *b)
{
    return strcmp(((const config_identity_key *)a)->key, ((const config_identity_key *)b)->key);
}

char *config_identity_text(const config_identity_key *keys, size_t nkeys, const run_options *o,
                           const config_behaviour_change *changes, size_t nchanges)
{
    config_identity_key *sorted = malloc((nkeys ? nkeys : 1) * sizeof *sorted);
    if (!sorted)
        return NULL;
    memcpy(sorted, keys, nkeys * sizeof *sorted);
    qsort(sorted, nkeys, sizeof *sorted, compare_identity_keys);
    struct strbuf b = {0};
    for (size_t i = 0; i < nkeys; i++) {
        if (sorted[i].legacy && strcmp(sorted[i].value, sorted[i].legacy) == 0)
            continue;   /* rule 1 */
        cfg_sb_cat(&b, sorted[i].key);
        cfg_sb_cat(&b, "=");
        cfg_sb_cat(&b, sorted[i].value);
        cfg_sb_cat(&b, "\n");
    }
    const char *separator = "rules=";   /* rule 2 */
    for (size_t i = 0; i < nchanges; i++)
        if (changes[i].applies(o)) {
            char version[24];
            snprintf(version, sizeof version, "%d", changes[i].version);
            cfg_sb_cat(&b, separator);
            cfg_sb_cat(&b, version);
            separator = ",";
        }
    if (*separator == ',')
        cfg_sb_cat(&b, "\n");
    cfg_sb_add(&b, "");
    free(sorted);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

void cfg_run_identity(config_run *run, struct strbuf *b, const size_t *offsets, long long seed,
                      size_t *canonical_at, size_t *trajectory_at)
{
    char text[VALUE_TEXT_MAX];
    config_identity_key identity[KEY_COUNT];
    size_t nidentity = 0;
    for (int i = 0; i < KEY_COUNT && !b->oom; i++)
        if (offsets[i] != SIZE_MAX && !(cfg_keys[i].flags & F_NO_IDENTITY))
            identity[nidentity++] =
                (config_identity_key){cfg_keys[i].key, b->p + offsets[i], cfg_keys[i].legacy};
    size_t nchanges;
    const config_behaviour_change *changes = config_behaviour_changes(&nchanges);
    char *identity_text = b->oom ? NULL : config_identity_text(identity, nidentity, &run->options,
                                                              changes, nchanges);
    /* With wsd, the trajectory: the identity without the budget and the decay's keys, which do
     * not change the stable phase a branch starts from. */
    char *trajectory_text = NULL;
    const int wsd = run->options.train.schedule == LR_WSD;
    if (wsd && identity_text) {
        config_identity_key stable[KEY_COUNT];
        size_t nstable = 0;
        for (size_t j = 0; j < nidentity; j++)
            if (!(cfg_keys[cfg_key_index(identity[j].key)].flags &
                  (F_BUDGET | F_DECAY_TERM | F_WSD_TERM)))
                stable[nstable++] = identity[j];
        trajectory_text = config_identity_text(stable, nstable, &run->options, changes,
                                               nchanges);
        if (!trajectory_text)
            b->oom = 1;
    }
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    *canonical_at = b->len;
    if (identity_text) {
        cfg_sb_cat(b, identity_text);
        sha256_update(&ctx, strlen(identity_text), (const uint8_t *)identity_text);
        hex_digest(&ctx, run->config_id);
        free(identity_text);
    } else {
        b->oom = 1;
    }
    snprintf(text, sizeof text, "seed=%lld\n", seed);
    cfg_sb_add(b, text);
    if (!b->oom) {
        sha256_update(&ctx, strlen(b->p + *canonical_at), (const uint8_t *)b->p + *canonical_at);
        hex_digest(&ctx, run->config_hash);
    }
    snprintf(text, sizeof text, "%lld", seed);
    cfg_sb_add(b, text);   /* the seed alone, right after the canonical text: config_run_value */
    *trajectory_at = SIZE_MAX;
    if (trajectory_text && !b->oom) {
        /* "trajectory\n", the stable identity, then the seed: never a run's text, which always
         * has train.epochs. */
        *trajectory_at = b->len;
        cfg_sb_cat(b, CONFIG_TRAJECTORY_LINE);
        cfg_sb_cat(b, trajectory_text);
        sha256_init(&ctx);
        sha256_update(&ctx, strlen(CONFIG_TRAJECTORY_LINE), (const uint8_t *)CONFIG_TRAJECTORY_LINE);
        sha256_update(&ctx, strlen(trajectory_text), (const uint8_t *)trajectory_text);
        if (!b->oom)
            hex_digest(&ctx, run->trajectory_id);
        snprintf(text, sizeof text, "seed=%lld\n", seed);
        cfg_sb_add(b, text);
        if (!b->oom) {
            sha256_init(&ctx);
            sha256_update(&ctx, strlen(b->p + *trajectory_at), (const uint8_t *)b->p + *trajectory_at);
            hex_digest(&ctx, run->trajectory_hash);
        }
        run->fork_epoch = run->options.train.epochs -
                          lr_wsd_decay_epochs(run->options.train.epochs,
                                              run->options.train.decay_fraction);
    }
    free(trajectory_text);
}
