/* What the libFuzzer targets share (tests/fuzz/meson.build builds them with
 * clang; tests/fuzz/build, tests/fuzz/run-all): the entry points'
 * prototypes, the input as a C string, and a check that aborts, naming
 * what broke, so libFuzzer keeps the input. */
#ifndef VP_TESTS_FUZZ_H
#define VP_TESTS_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed\n", __FILE__, __LINE__, #cond);          \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The input with a NUL after it, in a block of exactly that size (so the
 * address sanitizer sees a read past it); the caller frees it. */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* A big-endian integer of n bytes at p (for targets that read records). */
static inline uint64_t fuzz_be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

#endif
