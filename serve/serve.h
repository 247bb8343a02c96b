/* serve/serve.h: wb serve, a web view of one database: its sweeps, each sweep's runs with their
 * progress, live learning curves and key table, its report, each run, and two runs side by side.
 * The pages are embedded in the binary (serve/assets.h) and fill themselves from the JSON of the
 * /api routes (serve/route.h), which the database answers through serve/source.h.
 *
 * HTTP is libmicrohttpd's, on a small pool of its own threads. Safety (every rule tested):
 * - the database is opened read-only and query-only; nothing is ever written, no run is marked;
 * - only the fixed routes of route.h; no file path comes from a request;
 * - access as serve/access.h says (Host check on loopback, token elsewhere);
 * - every answer carries a Content-Security-Policy without inline script and other origins,
 *   X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer and X-Frame-Options: DENY;
 *   the page's script puts data into the page only as text;
 * - methods GET and HEAD only (405); request headers at most SERVE_MEMORY_LIMIT bytes (a longer
 *   URL gets 414); a connection that sends nothing for SERVE_TIMEOUT_SECONDS is closed, and one
 *   whose request has not fully arrived SERVE_HEADER_SECONDS after it began (a slowloris
 *   trickling bytes) is shut down by serve_tick, as is one still busy SERVE_REQUEST_SECONDS in;
 *   at most SERVE_CONNECTIONS connections. */
#ifndef WB_SERVE_SERVE_H
#define WB_SERVE_SERVE_H

#include <stddef.h>

#define SERVE_DEFAULT_HOST "127.0.0.1"
#define SERVE_DEFAULT_PORT 8000
#define SERVE_THREADS 2
#define SERVE_CONNECTIONS 256
#define SERVE_MEMORY_LIMIT (32 * 1024)
#define SERVE_TIMEOUT_SECONDS 10
#define SERVE_HEADER_SECONDS 10
#define SERVE_REQUEST_SECONDS 60

typedef struct serve_options {
    const char *db_path;
    const char *host;       /* an address or a name; SERVE_DEFAULT_HOST when NULL */
    int port;               /* 0: any free port */
    const char *token;      /* for a non-loopback address; NULL: a random one */
} serve_options;

typedef struct serve_server serve_server;

/* Binds, listens and starts answering. Returns 0, or -1 with err saying why (an address in use,
 * an unknown host name, ...). The database need not exist yet. */
int serve_start(const serve_options *o, serve_server **out, char *err, size_t errlen);
/* The port it listens on (the one picked, for port 0). */
int serve_port(const serve_server *srv);
/* The URL to open, with ?token=... when one is needed. */
const char *serve_url(const serve_server *srv);
/* 1 when requests need the token (the address is not a loopback one). */
int serve_needs_token(const serve_server *srv);
/* Shuts down connections past their deadlines (above). Call it a few times a second. */
void serve_tick(serve_server *srv);
/* Stops answering, closes every connection and frees everything. */
void serve_stop(serve_server *srv);

#endif
