/* tests/support/fakehash.h: stand-ins for config hashes in tests that build databases by hand. */
#ifndef WB_TESTS_FAKEHASH_H
#define WB_TESTS_FAKEHASH_H

/* A deterministic 64-hex-digit stand-in for a SHA-256 digest of `text` (splitmix64 of its
 * FNV-1a hash): distinct texts give distinct strings in practice, as real hashes do. */
void fake_hash(const char *text, char out[65]);

#endif
