/* serve/access.h: who may ask wb serve anything.
 *
 * On a loopback address (127.0.0.0/8, ::1) only this machine's users can connect; the one thing
 * left to refuse is a page of some other site whose name an attacker points at 127.0.0.1 (DNS
 * rebinding): the browser would treat it as that site's own. Such requests carry the attacker's
 * name in their Host header, so on loopback a request must name the address wb serve listens
 * on, "localhost", "127.0.0.1" or "[::1]" (with wb serve's port, or none).
 *
 * On any other address (--host 0.0.0.0, a LAN address) every request must carry the random
 * token printed in the URL at start, as Jupyter does: as ?token=, as the cookie the first page
 * sets, or as "Authorization: token TOKEN". Anything else gets 403. */
#ifndef WB_SERVE_ACCESS_H
#define WB_SERVE_ACCESS_H

#include <stddef.h>
#include <sys/socket.h>

/* 24 random bytes, as 48 hex digits. */
#define ACCESS_TOKEN_BYTES 24
#define ACCESS_TOKEN_CHARS (2 * ACCESS_TOKEN_BYTES)

/* 1 when the address is a loopback one (IPv4 127/8, IPv6 ::1, or 127/8 mapped into IPv6). */
int access_is_loopback(const struct sockaddr *addr);

/* Whether the Host header (NULL when absent: refused) names this server on loopback: `bound`
 * (the --host text), localhost, 127.0.0.1 or [::1], with no port or `port`. Case-insensitive. */
int access_host_allowed(const char *host_header, const char *bound, int port);

/* Fills token (ACCESS_TOKEN_CHARS + 1 bytes) from the kernel's random source. 0 or -1. */
int access_new_token(char *token);

/* Whether `given` (may be NULL) equals `expected`, in time that does not depend on where they
 * differ. */
int access_token_equal(const char *expected, const char *given);

/* The token of an Authorization header "token T" or "Bearer T" (NULL when it is neither). */
const char *access_authorization_token(const char *header);

#endif
