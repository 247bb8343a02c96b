/* serve/assets.c: the files of serve/assets/ embedded with .incbin (data/incbin.h); the Makefile
 * rebuilds this object when one of them changes. C reaches them only through the table below. */
#include "serve/assets.h"

#include <stdint.h>
#include <string.h>

#include "data/incbin.h"

__asm__(".section .rodata\n"
        WB_INCBIN(wb_asset_page, "serve/assets/app.html")
        WB_INCBIN(wb_asset_js, "serve/assets/app.js")
        WB_INCBIN(wb_asset_css, "serve/assets/app.css")
        WB_INCBIN(wb_asset_uplot_js, "serve/assets/uPlot.iife.min.js")
        WB_INCBIN(wb_asset_uplot_css, "serve/assets/uPlot.min.css")
        WB_INCBIN(wb_asset_uplot_licence, "serve/assets/uPlot.LICENSE")
        WB_INCBIN(wb_asset_icon, "serve/assets/favicon.svg")
        ".previous\n");

extern const unsigned char wb_asset_page[], wb_asset_js[], wb_asset_css[], wb_asset_uplot_js[],
    wb_asset_uplot_css[], wb_asset_uplot_licence[], wb_asset_icon[];
extern const uint64_t wb_asset_page_len, wb_asset_js_len, wb_asset_css_len, wb_asset_uplot_js_len,
    wb_asset_uplot_css_len, wb_asset_uplot_licence_len, wb_asset_icon_len;

#define JS "text/javascript; charset=utf-8"
#define CSS "text/css; charset=utf-8"

static const struct {
    const char *name, *content_type;
    const unsigned char *bytes;
    const uint64_t *len;
} assets[] = {
    { "app.html", "text/html; charset=utf-8", wb_asset_page, &wb_asset_page_len },
    { "app.js", JS, wb_asset_js, &wb_asset_js_len },
    { "app.css", CSS, wb_asset_css, &wb_asset_css_len },
    { "uPlot.iife.min.js", JS, wb_asset_uplot_js, &wb_asset_uplot_js_len },
    { "uPlot.min.css", CSS, wb_asset_uplot_css, &wb_asset_uplot_css_len },
    { "uPlot.LICENSE", "text/plain; charset=utf-8", wb_asset_uplot_licence,
      &wb_asset_uplot_licence_len },
    { "favicon.svg", "image/svg+xml", wb_asset_icon, &wb_asset_icon_len },
};

size_t asset_count(void)
{
    return sizeof assets / sizeof assets[0];
}

void asset_at(size_t i, serve_asset *out)
{
    *out = (serve_asset){ assets[i].name, assets[i].content_type, assets[i].bytes,
                          (size_t)*assets[i].len };
}

int asset_find(const char *name, serve_asset *out)
{
    for (size_t i = 0; i < asset_count(); i++)
        if (strcmp(assets[i].name, name) == 0) {
            asset_at(i, out);
            return 0;
        }
    return -1;
}
