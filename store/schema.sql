-- store/schema.sql: version 1 of the wb database, the whole schema.
--
-- store/schema.c embeds this file and applies it, in one transaction, to a database whose
-- PRAGMA user_version is 0; the transaction then sets user_version = 1. A database already at
-- version 1 is left alone. A later change to the schema is a new migration step (version 2, 3, ...)
-- in store/schema.c, never an edit of this file: databases made by older binaries must be able to
-- reach the newest version one step at a time.
--
-- Conventions, for people who write SQL against this file:
-- * Times are ISO-8601 UTC text, 'YYYY-MM-DDTHH:MM:SS.SSSZ': readable in the sqlite3 shell, sortable
--   as text, and understood by julianday() and unixepoch() for arithmetic.
-- * Booleans are 0/1 integers.
-- * Paths (runs.folder, checkpoints.path) are relative to the folder that holds the database, so a
--   database and its "<db name>.runs/" folder can be moved together.
-- * A run is identified by config_hash (SHA-256 of its resolved configuration, seed included): it
--   is unique here, so a configuration shared by two sweeps is trained once.

-- A sweep is one INI file's grid. Its runs are listed in sweep_runs, not in runs.sweep_id, because
-- one run can belong to several sweeps.
CREATE TABLE sweeps (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE CHECK (name <> ''),
    ini_text    TEXT,                 -- the INI file as it was read, to rerun it exactly
    ini_path    TEXT,
    axes        TEXT,                 -- comma-separated keys that vary: 'loss.laplacian_weight,loss.kernel'
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),  -- last (re)run
    host        TEXT,
    wb_version  TEXT,
    git_commit  TEXT,
    git_dirty   INTEGER CHECK (git_dirty IN (0, 1))
);

-- One training run: one configuration and one seed.
CREATE TABLE runs (
    id            INTEGER PRIMARY KEY,
    -- The sweep that created the run; a sweep deleted later leaves its runs (others may use them).
    sweep_id      INTEGER REFERENCES sweeps (id) ON DELETE SET NULL,
    config_hash   TEXT NOT NULL UNIQUE CHECK (length(config_hash) = 64),
    config_id     TEXT NOT NULL CHECK (length(config_id) = 64),  -- the hash without the seed
    config_json   TEXT,                 -- the resolved configuration as JSON
    status        TEXT NOT NULL DEFAULT 'queued'
                  CHECK (status IN ('queued', 'running', 'finished', 'failed', 'diverged',
                                    'interrupted')),
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    started_at    TEXT,                 -- the first claim; kept when an interrupted run resumes
    finished_at   TEXT,                 -- when it last ended, whatever the status
    heartbeat_at  TEXT,                 -- a running run's owner refreshes it; stale ones are taken
    pid           INTEGER,              -- the owner (process id on host)
    host          TEXT,
    threads       INTEGER,              -- the thread count actually used, fixed at the first claim
                                        -- (a resumed run must reuse it to continue bitwise)
    gemm_library  TEXT,
    compiler      TEXT,
    wb_version    TEXT,
    error         TEXT,                 -- why it failed, diverged or was interrupted
    epochs_done   INTEGER NOT NULL DEFAULT -1 CHECK (epochs_done >= -1),  -- -1: not even epoch 0
    param_count   INTEGER,
    folder        TEXT NOT NULL,        -- '<db name>.runs/<first 12 hex of config_hash>'
    data_source   TEXT,                 -- what the data actually was (e.g. the photos used)
    train_n       INTEGER,              -- split sizes in patches, when known
    val_n         INTEGER,
    test_n        INTEGER,

    -- Every configuration key as a typed column named after the key without its section, so that
    -- `WHERE lr = 0.01` works (values are stored as the numbers the config printed with %.17g).
    -- train.threads (0 = auto) and sweep.* are only in params; kernel and border are NULL for the
    -- lambda = 0 baseline, where they do not apply.
    source            TEXT,       -- data.source
    task              TEXT,       -- data.task
    patch             INTEGER,    -- data.patch
    train_patches     INTEGER,    -- data.train_patches
    val_patches       INTEGER,    -- data.val_patches
    test_patches      INTEGER,    -- data.test_patches
    data_seed         INTEGER,    -- data.seed
    min_std           REAL,       -- data.min_std
    noise_sigma       REAL,       -- data.noise_sigma
    fresh_noise       INTEGER,    -- data.fresh_noise (0/1)
    clip              INTEGER,    -- data.clip (0/1)
    blur_sigma        REAL,       -- data.blur_sigma
    sr_upsample       TEXT,       -- data.sr_upsample
    depth             INTEGER,    -- model.depth
    base_channels     INTEGER,    -- model.base_channels
    residual          INTEGER,    -- model.residual (0/1)
    epochs            INTEGER,    -- train.epochs
    batch_size        INTEGER,    -- train.batch_size
    optimizer         TEXT,       -- train.optimizer
    lr                REAL,       -- train.lr
    momentum          REAL,       -- train.momentum
    pixel             TEXT,       -- loss.pixel
    laplacian_weight  REAL,       -- loss.laplacian_weight
    kernel            TEXT,       -- loss.kernel ('4', '8', 'keras-recipe')
    border            TEXT,       -- loss.border
    kernel_norm       TEXT,       -- loss.kernel_norm
    seed              INTEGER NOT NULL  -- the run seed
);
-- Stale detection looks at running runs; claiming and reset look runs up by id.
CREATE INDEX runs_by_status ON runs (status);
-- Seeds of one configuration, for summary and comparisons.
CREATE INDEX runs_by_config_id ON runs (config_id);
-- ON DELETE SET NULL from sweeps needs it.
CREATE INDEX runs_by_sweep ON runs (sweep_id);

-- The grid of each sweep, in order. Workers claim runs through it (grid_index is the order, and
-- grid_index mod N picks a shard); reports select a sweep's runs through it.
CREATE TABLE sweep_runs (
    sweep_id    INTEGER NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
    run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    grid_index  INTEGER NOT NULL CHECK (grid_index >= 0),
    PRIMARY KEY (sweep_id, run_id),
    UNIQUE (sweep_id, grid_index)
) WITHOUT ROWID;
-- Which sweeps hold a run; ON DELETE CASCADE from runs needs it.
CREATE INDEX sweep_runs_by_run ON sweep_runs (run_id);

-- The whole resolved configuration of a run as text, as the canonical config prints it: the typed
-- columns of runs are a convenience, this is the record. value is NULL where the key does not apply.
CREATE TABLE params (
    run_id  INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    key     TEXT NOT NULL,          -- 'loss.laplacian_weight'
    value   TEXT,
    PRIMARY KEY (run_id, key)
) WITHOUT ROWID;

-- One number per run, epoch, split and metric. Epoch 0 is the initial weights (val and test only).
-- A row is never replaced: a resumed run logs only the epochs after runs.epochs_done.
CREATE TABLE metrics (
    run_id  INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    epoch   INTEGER NOT NULL CHECK (epoch >= 0),
    split   TEXT NOT NULL CHECK (split IN ('train', 'val', 'test')),
    name    TEXT NOT NULL,          -- 'loss', 'psnr', ...
    value   REAL,                   -- NULL where the value was NaN (SQLite has no NaN)
    PRIMARY KEY (run_id, epoch, split, name)
) WITHOUT ROWID;

-- The weight files of a run: one row per kind, pointing at the newest file of that kind.
CREATE TABLE checkpoints (
    run_id  INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    kind    TEXT NOT NULL CHECK (kind IN ('init', 'last', 'best')),
    epoch   INTEGER NOT NULL CHECK (epoch >= 0),
    path    TEXT NOT NULL,          -- relative to the database's folder
    PRIMARY KEY (run_id, kind)
) WITHOUT ROWID;

-- One row per run, epoch and split, one column per metric (NULL where the split has no such
-- metric: train has the losses and speed, val and test the image metrics).
CREATE VIEW epochs AS
SELECT run_id, epoch, split,
       max(CASE WHEN name = 'loss'          THEN value END) AS loss,
       max(CASE WHEN name = 'loss_pixel'    THEN value END) AS loss_pixel,
       max(CASE WHEN name = 'loss_lap'      THEN value END) AS loss_lap,
       max(CASE WHEN name = 'seconds'       THEN value END) AS seconds,
       max(CASE WHEN name = 'samples_per_s' THEN value END) AS samples_per_s,
       max(CASE WHEN name = 'mse'           THEN value END) AS mse,
       max(CASE WHEN name = 'psnr'          THEN value END) AS psnr,
       max(CASE WHEN name = 'ssim'          THEN value END) AS ssim,
       max(CASE WHEN name = 'lap4_mse'      THEN value END) AS lap4_mse,
       max(CASE WHEN name = 'lap8_mse'      THEN value END) AS lap8_mse
FROM metrics
GROUP BY run_id, epoch, split;

-- Each finished run at its last epoch (runs.epochs_done), with its axes, and at its best epoch by
-- validation PSNR (ties go to the earlier epoch, so a plateau does not reward extra training).
-- The metric lookups are correlated subqueries on the primary key of metrics, so selecting a few
-- runs from this view does not pivot the whole metrics table.
CREATE VIEW final AS
SELECT r.id AS run_id, r.config_hash, r.config_id, r.seed,
       r.laplacian_weight, r.kernel, r.border, r.kernel_norm, r.pixel, r.task, r.lr, r.optimizer,
       r.base_channels, r.depth, r.epochs,
       r.epochs_done AS epoch,
       (SELECT value FROM metrics m WHERE m.run_id = r.id AND m.epoch = r.epochs_done
                                      AND m.split = 'val' AND m.name = 'psnr') AS val_psnr,
       (SELECT value FROM metrics m WHERE m.run_id = r.id AND m.epoch = r.epochs_done
                                      AND m.split = 'test' AND m.name = 'psnr') AS test_psnr,
       (SELECT value FROM metrics m WHERE m.run_id = r.id AND m.epoch = r.epochs_done
                                      AND m.split = 'test' AND m.name = 'ssim') AS test_ssim,
       (SELECT value FROM metrics m WHERE m.run_id = r.id AND m.epoch = r.epochs_done
                                      AND m.split = 'test' AND m.name = 'mse') AS test_mse,
       (SELECT value FROM metrics m WHERE m.run_id = r.id AND m.epoch = r.epochs_done
                                      AND m.split = 'test' AND m.name = 'lap4_mse') AS test_lap4_mse,
       (SELECT value FROM metrics m WHERE m.run_id = r.id AND m.epoch = r.epochs_done
                                      AND m.split = 'test' AND m.name = 'lap8_mse') AS test_lap8_mse,
       r.best_epoch,
       (SELECT value FROM metrics m WHERE m.run_id = r.id AND m.epoch = r.best_epoch
                                      AND m.split = 'val' AND m.name = 'psnr') AS best_val_psnr,
       (SELECT value FROM metrics m WHERE m.run_id = r.id AND m.epoch = r.best_epoch
                                      AND m.split = 'test' AND m.name = 'psnr') AS best_test_psnr
FROM (SELECT runs.*,
             (SELECT epoch FROM metrics m
               WHERE m.run_id = runs.id AND m.split = 'val' AND m.name = 'psnr'
                 AND m.value IS NOT NULL
               ORDER BY m.value DESC, m.epoch ASC LIMIT 1) AS best_epoch
      FROM runs WHERE status = 'finished') AS r;

-- Per configuration (its seeds grouped by config_id): the axes, the number of finished seeds, and
-- the mean and sample standard deviation (n - 1; NULL for one seed) of the final test metrics.
-- The statistics are computed once, over a long form (config, metric, value), and then spread into
-- columns. The deviation takes two passes (the mean first, by a window), which stays exact where
-- sum(x*x) - sum(x)^2/n would cancel. The axis columns are equal within a config_id.
CREATE VIEW summary AS
WITH finals AS (
    SELECT r.config_id, m.name AS metric, m.value
    FROM runs r
    JOIN metrics m ON m.run_id = r.id AND m.epoch = r.epochs_done AND m.split = 'test'
    WHERE r.status = 'finished' AND m.name IN ('psnr', 'ssim', 'mse', 'lap4_mse', 'lap8_mse')
),
stats AS (
    SELECT config_id, metric, avg(value) AS mean,
           CASE WHEN count(value) > 1
                THEN sqrt(sum((value - pass1) * (value - pass1)) / (count(value) - 1)) END AS sd
    FROM (SELECT finals.*, avg(value) OVER (PARTITION BY config_id, metric) AS pass1 FROM finals)
    GROUP BY config_id, metric
),
configs AS (
    SELECT config_id,
           min(laplacian_weight) AS laplacian_weight, min(kernel) AS kernel, min(border) AS border,
           min(kernel_norm) AS kernel_norm, min(pixel) AS pixel, min(task) AS task, min(lr) AS lr,
           min(optimizer) AS optimizer, min(base_channels) AS base_channels, min(depth) AS depth,
           min(epochs) AS epochs, count(*) AS n_seeds
    FROM runs WHERE status = 'finished'
    GROUP BY config_id
)
SELECT c.*,
       max(CASE WHEN s.metric = 'psnr'     THEN s.mean END) AS test_psnr_mean,
       max(CASE WHEN s.metric = 'psnr'     THEN s.sd   END) AS test_psnr_sd,
       max(CASE WHEN s.metric = 'ssim'     THEN s.mean END) AS test_ssim_mean,
       max(CASE WHEN s.metric = 'ssim'     THEN s.sd   END) AS test_ssim_sd,
       max(CASE WHEN s.metric = 'mse'      THEN s.mean END) AS test_mse_mean,
       max(CASE WHEN s.metric = 'mse'      THEN s.sd   END) AS test_mse_sd,
       max(CASE WHEN s.metric = 'lap4_mse' THEN s.mean END) AS test_lap4_mse_mean,
       max(CASE WHEN s.metric = 'lap4_mse' THEN s.sd   END) AS test_lap4_mse_sd,
       max(CASE WHEN s.metric = 'lap8_mse' THEN s.mean END) AS test_lap8_mse_mean,
       max(CASE WHEN s.metric = 'lap8_mse' THEN s.sd   END) AS test_lap8_mse_sd
FROM configs c
LEFT JOIN stats s ON s.config_id = c.config_id
GROUP BY c.config_id;
