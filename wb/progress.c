/* wb/progress.c: progress events, their line protocol and their rendering. */
#include "wb/progress.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "store/store.h"
#include "wb/output.h"

/* ---- the line protocol ------------------------------------------------------------------------ */

static const char *const kind_names[] = { "start", "step", "epoch", "end" };

/* Tabs and newlines would break the line format: texts travel with them replaced. */
static void sanitise(const char *in, char *out, size_t len)
{
    size_t i = 0;
    for (; in[i] && i + 1 < len; i++)
        out[i] = (in[i] == '\n' || in[i] == '\t' || in[i] == '\r') ? ' ' : in[i];
    out[i] = '\0';
}

int progress_format(const progress_event *e, char *line, size_t len)
{
    char label[sizeof e->label], error[sizeof e->error];
    sanitise(e->label, label, sizeof label);
    sanitise(e->error, error, sizeof error);
    int n = snprintf(line, len,
                     "%s %" PRId64 " %d %d %d %d %ld %ld %.17g %.17g %.17g %.17g %.17g %s\t%s\t%s\n",
                     kind_names[e->kind], e->run_id, e->grid_index, e->epoch, e->epochs,
                     e->epochs_done, e->done, e->total, e->samples_per_s, e->loss, e->val_psnr,
                     e->test_psnr, e->seconds, e->status[0] ? e->status : "-", label, error);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

int progress_parse(const char *line, progress_event *e)
{
    memset(e, 0, sizeof *e);
    char kind[16];
    int used = 0;
    if (sscanf(line, "%15s %" SCNd64 " %d %d %d %d %ld %ld %lg %lg %lg %lg %lg %15s%n", kind,
               &e->run_id, &e->grid_index, &e->epoch, &e->epochs, &e->epochs_done, &e->done,
               &e->total, &e->samples_per_s, &e->loss, &e->val_psnr, &e->test_psnr, &e->seconds,
               e->status, &used) != 14)
        return -1;
    int k = -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(kind, kind_names[i]) == 0)
            k = i;
    if (k < 0)
        return -1;
    e->kind = (enum progress_kind)k;
    if (strcmp(e->status, "-") == 0)
        e->status[0] = '\0';
    const char *rest = line + used;
    if (*rest == '\t')
        rest++;
    const char *tab = strchr(rest, '\t');
    size_t ll = tab ? (size_t)(tab - rest) : strcspn(rest, "\n");
    snprintf(e->label, sizeof e->label, "%.*s", (int)ll, rest);
    if (tab)
        snprintf(e->error, sizeof e->error, "%.*s", (int)strcspn(tab + 1, "\n"), tab + 1);
    return 0;
}

/* ---- rendering -------------------------------------------------------------------------------- */

#define MAX_SLOTS 64

typedef struct slot {
    int used;
    progress_event last;    /* the latest event of this run */
    double epoch_started;
    /* The metrics of its latest epoch (NaN before one): STEP events do not carry them. */
    double loss, val_psnr, test_psnr;
} slot;

struct progress {
    FILE *out;
    int tty, quiet, nruns, jobs;
    long todo_epochs, done_epochs;
    double epoch_seconds_sum;   /* wall time of the epochs finished here, for the ETA */
    double started, last_draw;
    int drawn;                  /* live lines currently on screen */
    int interrupted;            /* runs that ended interrupted: progress_finish says how to resume */
    slot slots[MAX_SLOTS];
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

progress *progress_new(FILE *out, int tty, int quiet, int nruns, long todo_epochs, int jobs)
{
    progress *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->out = out;
    p->tty = tty;
    p->quiet = quiet;
    p->nruns = nruns;
    p->todo_epochs = todo_epochs;
    p->jobs = jobs > 0 ? jobs : 1;
    p->started = now();
    return p;
}

static slot *slot_of(progress *p, int64_t run_id, int create)
{
    for (int i = 0; i < MAX_SLOTS; i++)
        if (p->slots[i].used && p->slots[i].last.run_id == run_id)
            return &p->slots[i];
    for (int i = 0; create && i < MAX_SLOTS; i++)
        if (!p->slots[i].used) {
            memset(&p->slots[i], 0, sizeof p->slots[i]);
            p->slots[i].used = 1;
            p->slots[i].epoch_started = now();
            p->slots[i].loss = p->slots[i].val_psnr = p->slots[i].test_psnr = NAN;
            return &p->slots[i];
        }
    return NULL;
}

static void format_duration(double s, char *out, size_t len)
{
    if (!isfinite(s) || s < 0)
        snprintf(out, len, "?");
    else if (s < 60)
        snprintf(out, len, "%.0fs", s);
    else if (s < 3600)
        snprintf(out, len, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
    else
        snprintf(out, len, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
}

static void eta_text(const progress *p, char *out, size_t len)
{
    if (p->done_epochs == 0) {
        snprintf(out, len, "ETA after the first epoch");
        return;
    }
    const double per_epoch = p->epoch_seconds_sum / p->done_epochs;
    const long left = p->todo_epochs - p->done_epochs;
    char d[32];
    format_duration(left > 0 ? left * per_epoch / p->jobs : 0, d, sizeof d);
    snprintf(out, len, "ETA %s", d);
}

static void clear_live(progress *p)
{
    for (int i = 0; i < p->drawn; i++)
        output_control(p->out, "\033[1A\033[2K");   /* up one line, erase it */
    p->drawn = 0;
}

/* The terminal's width in columns (80 when it cannot be told). */
static int terminal_columns(FILE *f)
{
    struct winsize ws;
    if (ioctl(output_fd(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        return ws.ws_col;
    return 80;
}

/* Writes a live line cut to fit in `columns` (counting UTF-8 characters, not bytes): a line that
 * wrapped would take two rows, and clear_live erases one per line. */
static void put_live_line(FILE *f, const char *text, int columns)
{
    char line[2048];
    output_escape_line(text, line, sizeof line);    /* counted as the terminal shows it */
    int shown = 0;
    for (const char *c = line; *c; c++) {
        const int starts = ((unsigned char)*c & 0xc0) != 0x80;
        if (starts && shown == columns - 1)
            break;
        shown += starts;
        fputc(*c, f);
    }
    fputc('\n', f);
}

/* "loss 0.01234, val PSNR 24.31 dB, test PSNR 24.50 dB": what is known of an epoch, each part
 * only when it is (a run's first epoch has no loss; the test split is read at the last and the
 * best epoch only). PSNR is the primary metric, pooled PSNR (model/metrics.h), under its one name;
 * dB to 2 decimals, the loss to 4 significant digits. */
static void metrics_text(double loss, double val_psnr, double test_psnr, char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    if (isfinite(loss))
        used += (size_t)snprintf(out, len, "loss %.4g", loss);
    if (isfinite(val_psnr) && used < len)
        used += (size_t)snprintf(out + used, len - used, "%sval PSNR %.2f dB", used ? ", " : "",
                                 val_psnr);
    if (isfinite(test_psnr) && used < len)
        snprintf(out + used, len - used, "%stest PSNR %.2f dB", used ? ", " : "", test_psnr);
}

static void draw_live(progress *p)
{
    clear_live(p);
    const int columns = terminal_columns(p->out);
    for (int i = 0; i < MAX_SLOTS; i++) {
        if (!p->slots[i].used)
            continue;
        const progress_event *e = &p->slots[i].last;
        const slot *s = &p->slots[i];
        const int width = 12;
        const double frac = e->total > 0 ? (double)e->done / e->total : 0;
        char bar[32], line[512], metrics[128];
        int filled = (int)(frac * width);
        for (int k = 0; k < width; k++)
            bar[k] = k < filled ? '#' : '.';
        bar[width] = '\0';
        metrics_text(s->loss, s->val_psnr, NAN, metrics, sizeof metrics);
        /* The bar is the epoch's training samples (it fills once per epoch), and says so; the
         * metrics, of the previous epoch, come before the speed: a narrow terminal cuts the end. */
        snprintf(line, sizeof line, "run %d/%d, %s, epoch %d/%d: samples [%s] %ld/%ld%s%s  "
                 "%.0f samples/s", e->grid_index + 1, p->nruns, e->label, e->epoch, e->epochs,
                 bar, e->done, e->total, *metrics ? "; last epoch: " : "", metrics,
                 e->samples_per_s);
        put_live_line(p->out, line, columns);
        p->drawn++;
    }
    char eta[64], el[32], line[256];
    eta_text(p, eta, sizeof eta);
    format_duration(now() - p->started, el, sizeof el);
    snprintf(line, sizeof line, "%ld/%ld epochs, %s elapsed, %s", p->done_epochs, p->todo_epochs,
             el, eta);
    put_live_line(p->out, line, columns);
    p->drawn++;
    fflush(p->out);
    p->last_draw = now();
}

/* A line that stays (above the live lines on a terminal). */
static void print_line(progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void print_line(progress *p, const char *fmt, ...)
{
    if (p->tty)
        clear_live(p);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(p->out, fmt, ap);
    va_end(ap);
    fputc('\n', p->out);
    fflush(p->out);
}

void progress_apply(progress *p, const progress_event *e)
{
    if (!p || p->quiet)
        return;
    slot *s = slot_of(p, e->run_id, e->kind != PROGRESS_END);
    if (!s)
        return;
    const double t = now();
    switch (e->kind) {
    case PROGRESS_START:
        s->last = *e;
        s->epoch_started = t;
        if (!p->tty)
            print_line(p, "run %d/%d, %s: %s", e->grid_index + 1, p->nruns, e->label,
                       e->epochs_done > 0 ? "resuming" : "starting");
        break;
    case PROGRESS_STEP:
        s->last.kind = e->kind;
        s->last.epoch = e->epoch;
        s->last.done = e->done;
        s->last.total = e->total;
        s->last.samples_per_s = e->samples_per_s;
        break;
    case PROGRESS_EPOCH:
        if (e->epoch > 0) {
            p->done_epochs++;
            p->epoch_seconds_sum += t - s->epoch_started;
        }
        s->epoch_started = t;
        s->last.epoch = e->epoch;
        if (e->epoch > 0)
            s->loss = e->loss;
        s->val_psnr = e->val_psnr;
        s->test_psnr = e->test_psnr;
        if (!p->tty) {
            char eta[64], metrics[128];
            eta_text(p, eta, sizeof eta);
            metrics_text(e->epoch > 0 ? e->loss : NAN, e->val_psnr, e->test_psnr, metrics,
                         sizeof metrics);
            if (e->epoch == 0)
                print_line(p, "run %d/%d, %s, epoch 0/%d: %s", e->grid_index + 1, p->nruns,
                           e->label, e->epochs, metrics);
            else
                print_line(p, "run %d/%d, %s, epoch %d/%d: %s (%.1f s, %.0f samples/s; %s)",
                           e->grid_index + 1, p->nruns, e->label, e->epoch, e->epochs, metrics,
                           e->seconds, e->samples_per_s, eta);
        }
        break;
    case PROGRESS_END:
        /* Epochs a failed or diverged run will never train leave the ETA. */
        if (strcmp(e->status, store_status_name(STORE_FINISHED)) != 0 && e->epochs > e->epoch)
            p->todo_epochs -= e->epochs - e->epoch;
        if (strcmp(e->status, store_status_name(STORE_FINISHED)) == 0 && isfinite(s->test_psnr))
            /* The line that stays keeps the run's result. */
            print_line(p, "run %d/%d, %s: %s, test PSNR %.2f dB", e->grid_index + 1,
                       p->nruns, e->label, e->status, s->test_psnr);
        else
            print_line(p, "run %d/%d, %s: %s%s%s", e->grid_index + 1, p->nruns, e->label,
                       e->status, e->error[0] ? ": " : "", e->error);
        p->interrupted += strcmp(e->status, store_status_name(STORE_INTERRUPTED)) == 0;
        s->used = 0;
        break;
    }
    if (p->tty && (e->kind != PROGRESS_STEP || t - p->last_draw > 0.1))
        draw_live(p);
}

void progress_finish(progress *p)
{
    if (!p || p->quiet)
        return;
    if (p->tty)
        clear_live(p);
    if (p->interrupted)
        fprintf(p->out, "%d run%s interrupted: run the same command again to resume (finished "
                        "runs are skipped, interrupted ones continue from their last epoch)\n",
                p->interrupted, p->interrupted == 1 ? "" : "s");
    fflush(p->out);
}

void progress_free(progress *p)
{
    free(p);
}
