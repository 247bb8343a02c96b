/* wb serve: a web view of a database, live while sweeps train (serve/serve.h does the work; this
 * file reads the options, prints the URL and waits for SIGINT or SIGTERM). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "serve/serve.h"
#include "wb/cmd.h"
#include "wb/config.h"
#include "wb/util.h"

static const char usage[] =
    "usage: wb serve [--db PATH | --ini FILE.ini] [--port N] [--host ADDR]\n"
    "\n"
    "Serves a web view of a database until Ctrl-C: its sweeps; each sweep's runs (status, epochs\n"
    "with a progress bar, latest loss and validation/test metrics, ETA, heartbeat, errors), its\n"
    "learning curves (the mean over seeds of each configuration, the λ = 0 baseline always\n"
    "shown; metric, split and kernel to choose), its key table (what wb compare prints) and its\n"
    "report; each run (configuration, environment, every epoch, preview images); two runs side\n"
    "by side. Pages follow the database as it changes (every 2 s while a run is running, every\n"
    "30 s otherwise), new sweeps included. Everything the browser loads comes from wb itself.\n"
    "\n"
    "The database is only read, never written (a stale run shows as interrupted and stays as it\n"
    "is); it need not exist yet. The URL is printed on stdout.\n"
    "\n"
    CMD_DB_USAGE
    "  --port N      TCP port (default 8000); 0 picks a free one\n"
    "  --host ADDR   address to listen on (default 127.0.0.1, this machine only). On any other\n"
    "                address (0.0.0.0: every interface) each request needs the random token\n"
    "                of the printed URL (http://HOST:PORT/?token=...; the page keeps it in a\n"
    "                cookie, scripts may send \"Authorization: token TOKEN\"), else 403.\n";

/* How long stopping may take before the process ends without waiting for its requests. */
#define STOP_GRACE_SECONDS 1

/* Ends the process STOP_GRACE_SECONDS after a stop signal if serve_stop has not returned by then:
 * it waits for the requests being answered, and one may take long (a large sweep's key table)
 * or be stuck in a system call the server cannot interrupt. SIGTERM must stop wb serve in every
 * state. */
static void *stop_deadline(void *arg)
{
    const int sig = (int)(intptr_t)arg;
    const struct timespec grace = { STOP_GRACE_SECONDS, 0 };
    nanosleep(&grace, NULL);
    fprintf(stderr, "wb serve: a request was still being answered %d s after the signal: "
                    "stopped without waiting for it\n", STOP_GRACE_SECONDS);
    _exit(wb_exit_for_signal(sig));
    return NULL;
}

static int take_port(void *ctx, const char *arg)
{
    char *end;
    errno = 0;
    const long v = strtol(arg, &end, 10);
    if (errno || end == arg || *end || v < 0 || v > 65535) {
        wb_error("serve", "--port must be a port number from 0 to 65535, not '%s'", arg);
        return WB_EXIT_USAGE;
    }
    *(int *)ctx = (int)v;
    return 0;
}

int cmd_serve(int argc, char **argv)
{
    cmd_db d = { 0 };
    const char *host = SERVE_DEFAULT_HOST;
    int port = SERVE_DEFAULT_PORT;
    const cmd_option opts[] = { CMD_DB_OPTIONS(&d),
                                { .name = "port", .take = take_port, .ctx = &port },
                                { .name = "host", .text = &host }, { 0 } };
    int status = cmd_parse_db("serve", usage, argc, argv, opts, 0, &d);
    if (status >= 0)
        return status;
    const char *db = d.path;
    /* Before any thread starts, so that libmicrohttpd's threads inherit the blocked signals; a
     * client that hangs up mid-answer must not end the process. */
    signal(SIGPIPE, SIG_IGN);
    wb_install_stop_handlers();
    serve_server *srv;
    char err[1024];
    const serve_options o = { .db_path = db, .host = host, .port = port, .token = NULL };
    if (serve_start(&o, &srv, err, sizeof err) != 0) {
        wb_error("serve", "%s", err);
        return WB_EXIT_USAGE;
    }
    fprintf(stderr, "wb serve: %s on %s\n", db, serve_url(srv));
    if (serve_needs_token(srv))
        fprintf(stderr, "wb serve: listening beyond this machine: every request needs the token "
                        "of this URL\n");
    fprintf(stderr, "wb serve: Ctrl-C to stop\n");
    printf("%s\n", serve_url(srv));
    fflush(stdout);
    const struct timespec tick = { 0, 100 * 1000 * 1000 };
    while (!wb_stop_signal) {
        nanosleep(&tick, NULL);
        serve_tick(srv);
    }
    pthread_t deadline;
    if (pthread_create(&deadline, NULL, stop_deadline, (void *)(intptr_t)wb_stop_signal) == 0)
        pthread_detach(deadline);
    serve_stop(srv);
    return wb_exit_for_signal(wb_stop_signal);
}
