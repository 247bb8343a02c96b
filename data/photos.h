/* data/photos.h: the bundled photographs, embedded in the binary at build time (see NOTICE.md). */
#ifndef WB_DATA_PHOTOS_H
#define WB_DATA_PHOTOS_H

#include <stddef.h>

size_t photos_count(void);
/* The i-th photo's PNG bytes and file name (i < photos_count()). */
const unsigned char *photos_png(size_t i, size_t *len, const char **name);
/* The NOTICE.md text (licences), not NUL-terminated. */
const char *photos_notice(size_t *len);

#endif
