/* serve/assets.h: the files of wb serve's pages, embedded in the binary at build time (the page,
 * its script and style sheet, uPlot and its licence, the icon): nothing the browser loads comes
 * from anywhere but the binary and the database. */
#ifndef WB_SERVE_ASSETS_H
#define WB_SERVE_ASSETS_H

#include <stddef.h>

typedef struct serve_asset {
    const char *name;           /* "app.js": served at /static/<name> */
    const char *content_type;   /* "text/javascript; charset=utf-8" */
    const unsigned char *bytes;
    size_t len;
} serve_asset;

/* Fills *out with the asset called name: 0, or -1 when there is none. The page every route of
 * the interface serves (its script reads the path) is "app.html". */
int asset_find(const char *name, serve_asset *out);
/* All of them, by index (for tests and for the ETags made at start). */
size_t asset_count(void);
void asset_at(size_t i, serve_asset *out);

#endif
