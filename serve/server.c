/* serve/server.c: wb serve's HTTP side on libmicrohttpd (serve.h): the listening socket, the
 * access rules, the headers every answer carries, the routes' answers, and the deadlines. */
#define _GNU_SOURCE /* mkdtemp's declaration with the feature macros of the build */
#include "serve/serve.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analysis/analysis.h"
#include "base/fileio.h"
#include "serve/access.h"
#include "serve/assets.h"
#include "serve/route.h"
#include "serve/source.h"

/* The interface's pages and the API: scripts and styles from this server's own files only, no
 * inline script or style, data only from this origin, never framed. */
#define CSP_APP                                                                              \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "             \
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
/* A report (written by `wb report`: one page with inline CSS, its images inline as data URIs,
 * and no script) and its files. */
#define CSP_REPORT                                                                           \
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; " \
    "form-action 'none'; frame-ancestors 'none'"

#define MAX_ASSETS 16
#define REPORT_MAX_BYTES (256L * 1024 * 1024)

/* One open connection, for the deadlines. */
typedef struct conn {
    struct conn *prev, *next;
    int fd;
    double since;       /* when it began to wait for its current request */
    int in_request;     /* the request has arrived whole and is being answered */
    int shut, linked;
} conn;

struct serve_server {
    struct MHD_Daemon *daemon;
    serve_source *src;
    int port, need_token;
    char host[256];                 /* as given, for the Host check */
    char token[ACCESS_TOKEN_CHARS + 1];
    char cookie[40];                /* wb_token_PORT: cookies are per host, not per port */
    char url[640];
    char scratch[4096];             /* private folder for preview PNGs */
    char asset_etags[MAX_ASSETS][SOURCE_ETAG_CAP];
    pthread_mutex_t conns_lock;
    conn *conns;
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- deadlines ---------------------------------------------------------------------------- */

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    serve_server *srv = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        conn *k = calloc(1, sizeof *k);
        *socket_context = k;
        if (!k || !ci)
            return;     /* untracked: MHD's own timeout still applies */
        k->fd = ci->connect_fd;
        k->since = now_seconds();
        k->linked = 1;
        pthread_mutex_lock(&srv->conns_lock);
        k->next = srv->conns;
        if (srv->conns)
            srv->conns->prev = k;
        srv->conns = k;
        pthread_mutex_unlock(&srv->conns_lock);
        return;
    }
    conn *k = *socket_context;
    if (!k)
        return;
    /* MHD closes the socket after this returns: under the lock, serve_tick never shuts down a
     * descriptor that has been closed and given to someone else. */
    pthread_mutex_lock(&srv->conns_lock);
    if (k->linked) {
        if (k->prev)
            k->prev->next = k->next;
        else if (srv->conns == k)
            srv->conns = k->next;
        if (k->next)
            k->next->prev = k->prev;
    }
    pthread_mutex_unlock(&srv->conns_lock);
    free(k);
    *socket_context = NULL;
}

static conn *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)toe;
    (void)req_cls;
    serve_server *srv = cls;
    conn *k = conn_of(c);
    if (!k)
        return;
    pthread_mutex_lock(&srv->conns_lock);
    k->in_request = 0;
    k->since = now_seconds();
    pthread_mutex_unlock(&srv->conns_lock);
}

void serve_tick(serve_server *srv)
{
    const double now = now_seconds();
    pthread_mutex_lock(&srv->conns_lock);
    for (conn *k = srv->conns; k; k = k->next) {
        const double limit = k->in_request ? SERVE_REQUEST_SECONDS : SERVE_HEADER_SECONDS;
        if (!k->shut && now - k->since > limit) {
            shutdown(k->fd, SHUT_RDWR);     /* MHD sees the end and closes it */
            k->shut = 1;
        }
    }
    pthread_mutex_unlock(&srv->conns_lock);
}

/* ---- answers ------------------------------------------------------------------------------ */

/* The headers of every answer besides its Content-Security-Policy, in the order they are sent. */
static const char *const common_headers[][2] = {
    { "X-Content-Type-Options", "nosniff" },
    { "Referrer-Policy", "no-referrer" },
    { "X-Frame-Options", "DENY" },
    { "Cross-Origin-Opener-Policy", "same-origin" },
    { "Cross-Origin-Resource-Policy", "same-origin" },
    { "Cache-Control", "no-cache" },   /* checked again each time (with its ETag, cheaply) */
};

static void add_common_headers(struct MHD_Response *resp, const char *csp)
{
    MHD_add_response_header(resp, "Content-Security-Policy", csp);
    for (size_t i = 0; i < sizeof common_headers / sizeof common_headers[0]; i++)
        MHD_add_response_header(resp, common_headers[i][0], common_headers[i][1]);
}

static enum MHD_Result queue(struct MHD_Connection *c, unsigned int status,
                             struct MHD_Response *resp)
{
    if (!resp)
        return MHD_NO;
    const enum MHD_Result rc = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

/* A short plain-text answer (errors, refusals). */
static enum MHD_Result text_answer(struct MHD_Connection *c, unsigned int status,
                                   const char *text, const char *csp)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8");
    add_common_headers(resp, csp);
    return queue(c, status, resp);
}

/* Whether the request's If-None-Match names etag (a list, W/ forms and * included). */
static int etag_matches(struct MHD_Connection *c, const char *etag)
{
    const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
    if (!inm || !etag[0])
        return 0;
    const size_t n = strlen(etag);
    for (const char *p = inm; *p;) {
        p += strspn(p, " \t,");
        if (strncmp(p, "W/", 2) == 0)
            p += 2;
        if (*p == '*' || (strncmp(p, etag, n) == 0 && (p[n] == ',' || p[n] == ' ' || !p[n])))
            return 1;
        p += strcspn(p, ",");
    }
    return 0;
}

/* Bytes with an ETag: 304 when the client has them, else 200 (or `status`). */
static enum MHD_Result bytes_answer(struct MHD_Connection *c, unsigned int status,
                                    const char *type, const void *bytes, size_t len,
                                    enum MHD_ResponseMemoryMode mode, const char *etag,
                                    const char *csp)
{
    if (status == MHD_HTTP_OK && etag_matches(c, etag)) {
        if (mode == MHD_RESPMEM_MUST_FREE)
            free((void *)bytes);
        struct MHD_Response *resp =
            MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        if (!resp)
            return MHD_NO;
        MHD_add_response_header(resp, "ETag", etag);
        add_common_headers(resp, csp);
        return queue(c, MHD_HTTP_NOT_MODIFIED, resp);
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)bytes, mode);
    if (!resp) {
        if (mode == MHD_RESPMEM_MUST_FREE)
            free((void *)bytes);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", type);
    if (etag[0])
        MHD_add_response_header(resp, "ETag", etag);
    add_common_headers(resp, csp);
    return queue(c, status, resp);
}

static enum MHD_Result asset_answer(serve_server *srv, struct MHD_Connection *c,
                                    const char *name, unsigned int status)
{
    serve_asset a;
    for (size_t i = 0; i < asset_count() && i < MAX_ASSETS; i++) {
        asset_at(i, &a);
        if (strcmp(a.name, name) == 0)
            return bytes_answer(c, status, a.content_type, a.bytes, a.len,
                                MHD_RESPMEM_PERSISTENT, srv->asset_etags[i], CSP_APP);
    }
    return text_answer(c, MHD_HTTP_NOT_FOUND, "not found\n", CSP_APP);
}

/* The key table's metric and epoch choice from ?metric= and ?at= (wb compare's defaults). */
static int table_choice(struct MHD_Connection *c, int *series, enum analysis_at *at)
{
    const char *metric = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "metric");
    const char *at_name = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "at");
    *series = analysis_series_find(metric ? metric : ANALYSIS_PRIMARY_NAME);
    if (*series < 0 || !analysis_series_compared(*series))
        return -1;
    if (!at_name || strcmp(at_name, "last") == 0)
        *at = ANALYSIS_LAST;
    else if (strcmp(at_name, "best") == 0)
        *at = ANALYSIS_BEST;
    else
        return -1;
    return 0;
}

static enum MHD_Result api_answer(serve_server *srv, struct MHD_Connection *c, const route *r)
{
    int series = ANALYSIS_PRIMARY_SERIES;
    enum analysis_at at = ANALYSIS_LAST;
    if (r->kind == ROUTE_API_SWEEP && table_choice(c, &series, &at) != 0)
        return text_answer(c, MHD_HTTP_BAD_REQUEST,
                           "metric must be a val or test metric (test.psnr_pooled, val.ssim, ...) and "
                           "at last or best\n", CSP_APP);
    serve_answer a;
    source_answer(srv->src, r, series, at, &a);
    if (!a.body)
        return text_answer(c, a.status ? (unsigned)a.status : 500, "out of memory\n", CSP_APP);
    return bytes_answer(c, (unsigned)a.status, a.content_type, a.body, a.len,
                        MHD_RESPMEM_MUST_FREE, a.etag, CSP_APP);
}

static const char *report_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot && strcmp(dot, ".html") == 0)
        return "text/html; charset=utf-8";
    if (dot && strcmp(dot, ".png") == 0)
        return "image/png";
    if (dot && strcmp(dot, ".svg") == 0)
        return "image/svg+xml";
    return "text/plain; charset=utf-8";     /* report.md, .gp, .dat, gnuplot.log */
}

static enum MHD_Result report_answer(serve_server *srv, struct MHD_Connection *c, const route *r)
{
    char dir[4096], rel[4200];
    if (source_report_dir(srv->src, r->id, dir, sizeof dir) != 0)
        return text_answer(c, MHD_HTTP_NOT_FOUND, "no such sweep\n", CSP_REPORT);
    /* <db dir>/report-NAME/FILE, opened from the database's folder without following a link:
     * FILE is one of route_report_file's names, and neither it nor the report folder may be a
     * link planted there (to a file outside the results folder). A FIFO is not waited on (the
     * thread would wait for a writer forever). */
    char *slash = strrchr(dir, '/');
    struct stat sb;
    char why[8400];
    int fd = -1;
    if (slash) {
        *slash = '\0';
        snprintf(rel, sizeof rel, "%s/%s", slash + 1, r->name);
        fd = file_open_beneath(dir, rel, &sb, why, sizeof why);
    }
    if (fd < 0 || sb.st_size > REPORT_MAX_BYTES) {
        if (fd >= 0)
            close(fd);
        return text_answer(c, MHD_HTTP_NOT_FOUND,
                           strcmp(r->name, "index.html") == 0
                               ? "this sweep has no report yet: the sweep's page shows the command that writes it\n"
                               : "not found\n",
                           CSP_REPORT);
    }
    struct MHD_Response *resp = MHD_create_response_from_fd((uint64_t)sb.st_size, fd);
    if (!resp) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", report_type(r->name));
    add_common_headers(resp, CSP_REPORT);
    return queue(c, MHD_HTTP_OK, resp);
}

static enum MHD_Result redirect(struct MHD_Connection *c, unsigned int status,
                                const char *location, const char *cookie)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Location", location);
    if (cookie)
        MHD_add_response_header(resp, "Set-Cookie", cookie);
    add_common_headers(resp, CSP_APP);
    return queue(c, status, resp);
}

/* The access rule of access.h. Returns 1 to go on, 0 when the request was answered (refused, or
 * redirected to set the token's cookie), -1 on failure. */
static int check_access(serve_server *srv, struct MHD_Connection *c, const char *url,
                        const route *r, enum MHD_Result *answered)
{
    if (!srv->need_token) {
        const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
        if (access_host_allowed(host, srv->host, srv->port))
            return 1;
        *answered = text_answer(c, MHD_HTTP_FORBIDDEN,
                                "403: wb serve answers only requests addressed to this machine "
                                "(localhost or 127.0.0.1)\n", CSP_APP);
        return 0;
    }
    const char *query = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
    const char *cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, srv->cookie);
    const char *auth = access_authorization_token(
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"));
    if (access_token_equal(srv->token, cookie) || access_token_equal(srv->token, auth))
        return 1;
    if (access_token_equal(srv->token, query)) {
        if (!route_is_page(r->kind))
            return 1;
        /* A page opened from the printed URL: keep the token in a cookie (which the page's
         * requests then carry) and drop it from the address bar. */
        char set[160];
        snprintf(set, sizeof set, "%s=%s; Path=/; HttpOnly; SameSite=Strict", srv->cookie,
                 srv->token);
        *answered = redirect(c, MHD_HTTP_SEE_OTHER, url, set);
        return 0;
    }
    *answered = text_answer(c, MHD_HTTP_FORBIDDEN,
                            "403: this wb serve needs its token: open the URL it printed at "
                            "start (http://HOST:PORT/?token=...)\n", CSP_APP);
    return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
    (void)version;
    (void)upload_data;
    serve_server *srv = cls;
    const int get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
                    strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    if (!*req_cls) {
        *req_cls = srv;     /* the request's head has arrived: its header deadline is over */
        conn *k = conn_of(c);
        if (k) {
            pthread_mutex_lock(&srv->conns_lock);
            k->in_request = 1;
            pthread_mutex_unlock(&srv->conns_lock);
        }
        /* A GET is answered at the next call, once MHD knows it has no body: answered now, the
         * connection could not be kept alive for the page's next request. Other methods are
         * refused at once, their bodies unread (the connection is closed). */
        if (get)
            return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0;  /* a body is never read */
        if (get)
            return MHD_YES;
    }
    route r;
    route_parse(url, &r);
    enum MHD_Result answered = MHD_NO;
    if (!check_access(srv, c, url, &r, &answered))
        return answered;
    if (!get) {
        struct MHD_Response *resp =
            MHD_create_response_from_buffer(strlen("only GET and HEAD\n"),
                                            (void *)"only GET and HEAD\n",
                                            MHD_RESPMEM_PERSISTENT);
        if (!resp)
            return MHD_NO;
        MHD_add_response_header(resp, "Allow", "GET, HEAD");
        MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8");
        add_common_headers(resp, CSP_APP);
        return queue(c, MHD_HTTP_METHOD_NOT_ALLOWED, resp);
    }
    switch (r.kind) {
    case ROUTE_PAGE_INDEX:
        return asset_answer(srv, c, "app.html", MHD_HTTP_OK);
    case ROUTE_PAGE_SWEEP:
    case ROUTE_PAGE_RUN:
    case ROUTE_PAGE_COMPARE:
        /* The page says what is missing; the status says it too. */
        return asset_answer(srv, c, "app.html",
                            source_exists(srv->src, &r) == 0 ? MHD_HTTP_NOT_FOUND : MHD_HTTP_OK);
    case ROUTE_STATIC:
        return asset_answer(srv, c, r.name, MHD_HTTP_OK);
    case ROUTE_REPORT_REDIRECT: {
        char location[96];
        snprintf(location, sizeof location, "/sweep/%lld/report/", (long long)r.id);
        return redirect(c, MHD_HTTP_MOVED_PERMANENTLY, location, NULL);
    }
    case ROUTE_REPORT_FILE:
        return report_answer(srv, c, &r);
    case ROUTE_API_STATE:
    case ROUTE_API_SWEEP:
    case ROUTE_API_RUN:
    case ROUTE_API_PREVIEW:
    case ROUTE_API_COMPARE:
        return api_answer(srv, c, &r);
    case ROUTE_NOT_FOUND:
        break;
    }
    return text_answer(c, MHD_HTTP_NOT_FOUND, "404: not found\n", CSP_APP);
}

/* ---- starting and stopping ------------------------------------------------------------------ */

/* Binds and listens on host:port; fills the port taken and whether the address is loopback. */
static int listen_on(const char *host, int port, int *fd_out, int *port_out, int *loopback,
                     int *unspecified, char *err, size_t errlen)
{
    struct addrinfo hints = { 0 }, *ai;
    char service[16];
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(service, sizeof service, "%d", port);
    const int gai = getaddrinfo(host, service, &hints, &ai);
    if (gai != 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", host, gai_strerror(gai));
        return -1;
    }
    const int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    const int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        (ai->ai_family == AF_INET6 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 128) != 0) {
        const int e = errno;
        snprintf(err, errlen, "cannot listen on %s port %d: %s%s", host, port, strerror(e),
                 e == EADDRINUSE ? " (use --port N for another port, or --port 0 for any free "
                                   "one)" : "");
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    struct sockaddr_storage bound;
    socklen_t len = sizeof bound;
    getsockname(fd, (struct sockaddr *)&bound, &len);
    *port_out = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                  : ((struct sockaddr_in *)&bound)->sin_port);
    *loopback = access_is_loopback((struct sockaddr *)&bound);
    *unspecified = bound.ss_family == AF_INET6
                       ? IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&bound)->sin6_addr)
                       : ((struct sockaddr_in *)&bound)->sin_addr.s_addr == htonl(INADDR_ANY);
    freeaddrinfo(ai);
    *fd_out = fd;
    return 0;
}

/* The URL to print: the address as given (in brackets for IPv6), this machine's name for an
 * unspecified address (0.0.0.0, ::). */
static void make_url(serve_server *srv, int unspecified)
{
    char name[256];
    if (unspecified) {
        if (gethostname(name, sizeof name - 1) != 0)
            snprintf(name, sizeof name, "localhost");
        name[sizeof name - 1] = '\0';
    } else if (strchr(srv->host, ':')) {
        snprintf(name, sizeof name, "[%.250s]", srv->host);
    } else {
        snprintf(name, sizeof name, "%s", srv->host);
    }
    snprintf(srv->url, sizeof srv->url, "http://%s:%d/%s%s", name, srv->port,
             srv->need_token ? "?token=" : "", srv->need_token ? srv->token : "");
}

static void remove_scratch(serve_server *srv)
{
    if (srv->scratch[0])
        rmdir(srv->scratch);    /* empty: each preview file is removed after reading */
}

int serve_start(const serve_options *o, serve_server **out, char *err, size_t errlen)
{
    *out = NULL;
    serve_server *srv = calloc(1, sizeof *srv);
    if (!srv || pthread_mutex_init(&srv->conns_lock, NULL) != 0) {
        free(srv);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(srv->host, sizeof srv->host, "%s", o->host ? o->host : SERVE_DEFAULT_HOST);
    int fd, loopback, unspecified;
    if (listen_on(srv->host, o->port, &fd, &srv->port, &loopback, &unspecified, err, errlen) !=
        0) {
        pthread_mutex_destroy(&srv->conns_lock);
        free(srv);
        return -1;
    }
    srv->need_token = !loopback;
    snprintf(srv->cookie, sizeof srv->cookie, "wb_token_%d", srv->port);
    if (o->token && strlen(o->token) > ACCESS_TOKEN_CHARS) {
        snprintf(err, errlen, "the token may have at most %d characters", ACCESS_TOKEN_CHARS);
        goto fail;
    }
    if (o->token)
        snprintf(srv->token, sizeof srv->token, "%s", o->token);
    else if (access_new_token(srv->token) != 0) {
        snprintf(err, errlen, "cannot read random bytes for the token: %s", strerror(errno));
        goto fail;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(srv->scratch, sizeof srv->scratch, "%s/wb-serve-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(srv->scratch)) {
        snprintf(err, errlen, "cannot make a scratch folder %s: %s", srv->scratch,
                 strerror(errno));
        srv->scratch[0] = '\0';
        goto fail;
    }
    if (source_new(o->db_path, srv->scratch, &srv->src, err, errlen) != 0)
        goto fail;
    for (size_t i = 0; i < asset_count() && i < MAX_ASSETS; i++) {
        serve_asset a;
        asset_at(i, &a);
        source_etag(a.bytes, a.len, srv->asset_etags[i]);
    }
    make_url(srv, unspecified);
    srv->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, on_request, srv,
        MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)SERVE_THREADS,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)SERVE_CONNECTIONS,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)SERVE_TIMEOUT_SECONDS,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SERVE_MEMORY_LIMIT,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, srv, MHD_OPTION_END);
    if (!srv->daemon) {
        snprintf(err, errlen, "cannot start the HTTP server (libmicrohttpd) on %s port %d",
                 srv->host, srv->port);
        goto fail;
    }
    *out = srv;
    return 0;
fail:
    close(fd);
    source_free(srv->src);
    remove_scratch(srv);
    pthread_mutex_destroy(&srv->conns_lock);
    free(srv);
    return -1;
}

int serve_port(const serve_server *srv)
{
    return srv->port;
}

const char *serve_url(const serve_server *srv)
{
    return srv->url;
}

int serve_needs_token(const serve_server *srv)
{
    return srv->need_token;
}

void serve_stop(serve_server *srv)
{
    if (!srv)
        return;
    MHD_stop_daemon(srv->daemon);   /* closes the listening socket and every connection */
    source_free(srv->src);
    remove_scratch(srv);
    pthread_mutex_destroy(&srv->conns_lock);
    free(srv);
}
