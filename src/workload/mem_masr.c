/* mem-masr: MASR (Memory Allocation, Set and Read) from seed 003.
 *
 * Every round maps S fresh anonymous bytes (so the page faults are part of
 * the work), sets each byte in order to a fixed value, reads them all back in
 * order comparing 64-bit words with the pattern, and unmaps. The amount of
 * work does not depend on the machine; verify checks no word came back
 * different. */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/clock.h"
#include "core/host.h"
#include "core/signals.h"
#include "core/units.h"
#include "workload/workload.h"

#define MASR_CHUNK ((size_t)64 << 20) /* bytes between interruption checks */

struct masr_params {
    uint64_t size;
    int64_t value;
};

struct masr_state {
    size_t size;
    unsigned char value;
    size_t checked;   /* bytes the last round read back */
    uint64_t bad;     /* mismatching 64-bit words, a partial last one included */
    size_t first_bad; /* byte offset of the first mismatch */
};

static const struct vp_opt masr_opts[] = {
    {"size", VP_OPT_SIZE, offsetof(struct masr_params, size), "2G", 4096, 64.0 * 1099511627776,
     NULL, "bytes to allocate, set and read each round", false},
    {"value", VP_OPT_INT, offsetof(struct masr_params, value), "90", 0, 255, NULL,
     "byte value written (90 = 0x5a)", false},
    VP_OPT_END,
};

static const struct vp_metric_def masr_metrics[] = {
    {"set_rate", "GB/s", VP_AVG_HARMONIC, true},
    {"read_rate", "GB/s", VP_AVG_HARMONIC, true},
};

static int masr_setup(const void *params, void **state, struct vp_err *err)
{
    const struct masr_params *p = params;
    uint64_t avail = vp_mem_available();
    if (avail > 0 && p->size > avail) {
        char want[32], have[32];
        vp_format_size(p->size, want, sizeof want);
        vp_format_size(avail, have, sizeof have);
        return vp_input_error(err, "--size %s: more than the memory available (%s)", want, have);
    }

    struct masr_state *s = calloc(1, sizeof *s);
    if (s == NULL)
        return vp_run_error(err, ENOMEM, "mem-masr state");
    s->size = (size_t)p->size;
    s->value = (unsigned char)p->value;
    *state = s;
    return 0;
}

static void masr_teardown(void *state)
{
    free(state);
}

/* Mismatching words of n bytes (n a multiple of 8, p 8-byte aligned). */
static uint64_t count_bad_words(const unsigned char *p, size_t n, uint64_t pattern)
{
    const uint64_t *w = (const uint64_t *)(const void *)p;
    uint64_t bad = 0;
    for (size_t i = 0; i < n / 8; i++)
        bad += w[i] != pattern;
    return bad;
}

/* Byte offset of the first byte of p[0..n) that is not value; n if none. */
static size_t first_bad_byte(const unsigned char *p, size_t n, unsigned char value)
{
    size_t i = 0;
    while (i < n && p[i] == value)
        i++;
    return i;
}

static int masr_round(void *state, struct vp_round_ctx *ctx, struct vp_err *err)
{
    struct masr_state *s = state;
    const uint64_t pattern = s->value * UINT64_C(0x0101010101010101);
    int rc = 0;

    s->checked = 0;
    s->bad = 0;
    s->first_bad = s->size;

    uint64_t t0 = vp_now_ns();
    unsigned char *p =
        mmap(NULL, s->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        int e = errno;
        char want[32];
        vp_format_size(s->size, want, sizeof want);
        return vp_run_error(err, e, "mem-masr: mapping %s", want);
    }

    for (size_t off = 0; off < s->size; off += MASR_CHUNK) {
        if (vp_interrupted) {
            rc = vp_run_error(err, EINTR, "interrupted");
            goto out;
        }
        size_t n = s->size - off < MASR_CHUNK ? s->size - off : MASR_CHUNK;
        memset(p + off, s->value, n);
    }
    uint64_t t1 = vp_now_ns();

    if (ctx->inject_fault)
        p[s->size / 2] ^= 0xff;
    /* the compiler may not assume what the set loop left in memory */
    __asm__ volatile("" ::: "memory");

    uint64_t t2 = vp_now_ns();
    size_t words_end = s->size & ~(size_t)7;
    for (size_t off = 0; off < words_end; off += MASR_CHUNK) {
        if (vp_interrupted) {
            rc = vp_run_error(err, EINTR, "interrupted");
            goto out;
        }
        size_t n = words_end - off < MASR_CHUNK ? words_end - off : MASR_CHUNK;
        uint64_t bad = count_bad_words(p + off, n, pattern);
        if (bad > 0 && s->bad == 0)
            s->first_bad = off + first_bad_byte(p + off, n, s->value);
        s->bad += bad;
    }
    size_t tail = first_bad_byte(p + words_end, s->size - words_end, s->value);
    if (words_end + tail < s->size) { /* the last, partial word */
        if (s->bad == 0)
            s->first_bad = words_end + tail;
        s->bad++;
    }
    s->checked = s->size;
    uint64_t t3 = vp_now_ns();

    double gb = (double)s->size / 1e9;
    ctx->metrics[0] = t1 > t0 ? gb / ((double)(t1 - t0) / 1e9) : 0;
    ctx->metrics[1] = t3 > t2 ? gb / ((double)(t3 - t2) / 1e9) : 0;

out:
    munmap(p, s->size);
    return rc;
}

static int masr_verify(void *state, struct vp_round_ctx *ctx, struct vp_err *err)
{
    struct masr_state *s = state;
    (void)ctx;

    if (s->checked != s->size)
        return vp_run_error(err, 0, "read back %zu of %zu bytes", s->checked, s->size);
    if (s->bad > 0)
        return vp_run_error(err, 0,
                            "%" PRIu64 " of %zu words read back differ from 0x%02x,"
                            " the first at byte offset %zu",
                            s->bad, (s->size + 7) / 8, s->value, s->first_bad);
    return 0;
}

const struct vp_workload vp_wl_mem_masr = {
    .name = "mem-masr",
    .summary = "allocate, set and read back a memory block byte by byte in order",
    .origin = "MASR, 2 GB per round, seed 003 section 5.2",
    .opts = masr_opts,
    .params_size = sizeof(struct masr_params),
    .small_preset = "size=64M",
    .metrics = masr_metrics,
    .nmetrics = sizeof masr_metrics / sizeof masr_metrics[0],
    .unsupported = NULL,
    .setup = masr_setup,
    .before_round = NULL,
    .round = masr_round,
    .verify = masr_verify,
    .teardown = masr_teardown,
};
