/* data/photos.c: the bundled photographs and their NOTICE, embedded with .incbin so that wb works
 * from any directory (data/incbin.h says how). The Makefile rebuilds this object when a photo
 * changes; C reaches the symbols only through the table below. */
#include "data/photos.h"

#include <stdint.h>

#include "data/incbin.h"

__asm__(".section .rodata\n"
        WB_INCBIN(wb_photo_astronaut, "data/photos/astronaut.png")
        WB_INCBIN(wb_photo_chelsea, "data/photos/chelsea.png")
        WB_INCBIN(wb_photo_coffee, "data/photos/coffee.png")
        WB_INCBIN(wb_photo_retina, "data/photos/retina.png")
        WB_INCBIN(wb_photo_rocket, "data/photos/rocket.png")
        WB_INCBIN(wb_photo_notice, "data/photos/NOTICE.md")
        ".previous\n");

extern const unsigned char wb_photo_astronaut[], wb_photo_chelsea[], wb_photo_coffee[],
    wb_photo_retina[], wb_photo_rocket[], wb_photo_notice[];
extern const uint64_t wb_photo_astronaut_len, wb_photo_chelsea_len, wb_photo_coffee_len,
    wb_photo_retina_len, wb_photo_rocket_len, wb_photo_notice_len;

/* Sorted by file name, like the files of a png:DIR source. */
static const struct {
    const char *name;
    const unsigned char *bytes;
    const uint64_t *len;
} photos[] = {
    {"astronaut.png", wb_photo_astronaut, &wb_photo_astronaut_len},
    {"chelsea.png", wb_photo_chelsea, &wb_photo_chelsea_len},
    {"coffee.png", wb_photo_coffee, &wb_photo_coffee_len},
    {"retina.png", wb_photo_retina, &wb_photo_retina_len},
    {"rocket.png", wb_photo_rocket, &wb_photo_rocket_len},
};

size_t photos_count(void)
{
    return sizeof photos / sizeof photos[0];
}

const unsigned char *photos_png(size_t i, size_t *len, const char **name)
{
    if (i >= photos_count())
        return NULL;
    if (len)
        *len = (size_t)*photos[i].len;
    if (name)
        *name = photos[i].name;
    return photos[i].bytes;
}

const char *photos_notice(size_t *len)
{
    if (len)
        *len = (size_t)wb_photo_notice_len;
    return (const char *)wb_photo_notice;
}
