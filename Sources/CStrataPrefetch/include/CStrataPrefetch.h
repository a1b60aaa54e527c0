#ifndef STRATA_PREFETCH_H
#define STRATA_PREFETCH_H

/// Hints that the cache line holding `address` will be read soon (no effect on results).
static inline __attribute__((always_inline)) void strata_prefetch_read(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/// Hints that the cache line holding `address` will be written soon (no effect on results).
static inline __attribute__((always_inline)) void strata_prefetch_write(const void *address) {
    __builtin_prefetch(address, 1, 3);
}

#endif
