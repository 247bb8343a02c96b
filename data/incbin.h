/* data/incbin.h: a file embedded in the binary at build time with the assembler's .incbin, for
 * data/photos.c and serve/assets.c. Inside __asm__(".section .rodata\n" ... ".previous\n"),
 * WB_INCBIN(sym, "path") defines sym (the bytes) and sym_len (their count as a 64-bit word,
 * computed by the assembler, so C never subtracts pointers to different objects); the paths are
 * relative to the repository's top, where make runs the compiler, and the Makefile rebuilds the
 * object when a file changes. The symbols stay local to their object (no .globl): declare them
 * extern there and reach them only through its own table. */
#ifndef WB_DATA_INCBIN_H
#define WB_DATA_INCBIN_H

#define WB_INCBIN(sym, file)                                  \
    ".balign 16\n"                                            \
    ".type " #sym ", @object\n"                               \
    #sym ":\n"                                                \
    ".incbin \"" file "\"\n"                                  \
    #sym "_end:\n"                                            \
    ".size " #sym ", " #sym "_end - " #sym "\n"               \
    ".balign 8\n"                                             \
    #sym "_len:\n"                                            \
    ".quad " #sym "_end - " #sym "\n"

#endif
