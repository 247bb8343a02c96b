/* serve/access.c: the checks of access.h. */
#include "serve/access.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

int access_is_loopback(const struct sockaddr *addr)
{
    if (addr->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)addr;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (addr->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)addr)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(a))
            return 1;
        return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
    }
    return 0;
}

/* Whether `name` (len bytes) is `want`, ignoring case. */
static int names(const char *name, size_t len, const char *want)
{
    return strlen(want) == len && strncasecmp(name, want, len) == 0;
}

int access_host_allowed(const char *host, const char *bound, int port)
{
    if (!host || !*host)
        return 0;
    /* Split "name[:port]", where name may be "[v6]". */
    size_t len = strlen(host);
    const char *colon = NULL;
    if (host[0] == '[') {
        const char *close = strchr(host, ']');
        if (!close)
            return 0;
        if (close[1] == ':')
            colon = close + 1;
        else if (close[1] != '\0')
            return 0;
    } else {
        colon = strrchr(host, ':');
    }
    if (colon) {
        char want[16];
        snprintf(want, sizeof want, "%d", port);
        if (strcmp(colon + 1, want) != 0)
            return 0;
        len = (size_t)(colon - host);
    }
    if (names(host, len, "localhost") || names(host, len, "127.0.0.1") ||
        names(host, len, "[::1]"))
        return 1;
    if (bound && names(host, len, bound))
        return 1;
    /* --host ::1 is written [::1] in a Host header. */
    return bound && len == strlen(bound) + 2 && host[0] == '[' &&
           strncasecmp(host + 1, bound, len - 2) == 0;
}

int access_new_token(char *token)
{
    unsigned char bytes[ACCESS_TOKEN_BYTES];
    size_t got = 0;
    while (got < sizeof bytes) {
        const ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    for (size_t i = 0; i < sizeof bytes; i++)
        snprintf(token + 2 * i, 3, "%02x", bytes[i]);
    return 0;
}

int access_token_equal(const char *expected, const char *given)
{
    if (!given)
        return 0;
    const size_t n = strlen(expected), m = strlen(given);
    unsigned char diff = (unsigned char)(n != m);
    /* Compare every byte of the expected token whatever the given one holds. */
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(expected[i] ^ (i < m ? given[i] : 0));
    return diff == 0;
}

const char *access_authorization_token(const char *header)
{
    if (!header)
        return NULL;
    if (strncasecmp(header, "token ", 6) == 0)
        return header + 6;
    if (strncasecmp(header, "bearer ", 7) == 0)
        return header + 7;
    return NULL;
}
