/* A small deterministic generator (splitmix64) for generated corpora and
 * file contents: the same seed gives the same bytes on every machine. */
#ifndef VP_CORE_PRNG_H
#define VP_CORE_PRNG_H

#include <stdint.h>

static inline uint64_t vp_prng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

#endif
