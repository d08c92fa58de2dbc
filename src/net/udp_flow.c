#include "net/udp_flow.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "net/udp_wire.h"

#define WORDS (VP_UDP_FLOW_WINDOW / 64)

void vp_udp_flow_init(struct vp_udp_flow *f)
{
    memset(f, 0, sizeof *f);
    vp_hist_init(&f->delay);
}

int vp_udp_flow_intervals(struct vp_udp_flow *f, uint64_t epoch_ns, uint64_t interval_ns,
                          uint32_t n)
{
    free(f->iv);
    f->nintervals = 0;
    if ((f->iv = calloc(n ? n : 1, sizeof *f->iv)) == NULL)
        return -ENOMEM;
    f->epoch_ns = epoch_ns;
    f->interval_ns = interval_ns;
    f->nintervals = n;
    return 0;
}

void vp_udp_flow_free(struct vp_udp_flow *f)
{
    free(f->iv);
    f->iv = NULL;
    f->nintervals = 0;
}

static bool test_and_set(struct vp_udp_flow *f, uint64_t seq)
{
    uint64_t i = seq % VP_UDP_FLOW_WINDOW, bit = 1ull << (i % 64);
    bool was = (f->seen[i / 64] & bit) != 0;
    f->seen[i / 64] |= bit;
    return was;
}

/* Move the window's top to seq + 1: the positions it passes over belong to
 * sequence numbers not seen yet, so their bits are cleared. */
static void advance(struct vp_udp_flow *f, uint64_t seq)
{
    uint64_t from = f->top, to = seq + 1;
    if (to - from >= VP_UDP_FLOW_WINDOW) {
        memset(f->seen, 0, sizeof f->seen);
    } else {
        for (uint64_t s = from; s < to;) {
            uint64_t i = s % VP_UDP_FLOW_WINDOW, word = i / 64, off = i % 64;
            uint64_t n = 64 - off < to - s ? 64 - off : to - s; /* bits in this word */
            uint64_t mask = n == 64 ? ~0ull : ((1ull << n) - 1) << off;
            f->seen[word] &= ~mask;
            s += n;
        }
    }
    f->top = to;
}

enum vp_udp_verdict vp_udp_flow_add(struct vp_udp_flow *f, uint64_t seq, uint32_t size,
                                    uint64_t tx_ns, uint64_t rx_ns, bool shared_clock)
{
    enum vp_udp_verdict v = VP_UDP_NEW;
    struct vp_udp_ival none, *iv = &none; /* the datagram's interval, if kept */
    if (f->nintervals)
        iv = &f->iv[vp_udp_interval_of(tx_ns, f->epoch_ns, f->interval_ns, f->nintervals)];
    if (seq >= f->top) {
        advance(f, seq);
        test_and_set(f, seq);
    } else if (f->top - seq > VP_UDP_FLOW_WINDOW) {
        f->too_late++;
        iv->too_late++;
        return VP_UDP_TOO_LATE;
    } else if (test_and_set(f, seq)) {
        f->duplicates++;
        iv->duplicates++;
        return VP_UDP_DUPLICATE;
    } else {
        f->reordered++;
        iv->reordered++;
        v = VP_UDP_REORDERED;
    }
    f->received++;
    iv->received++;
    f->bytes += size;
    /* RFC 3550 §6.4.1 with ns for timestamp units: D is the change in
     * transit time between consecutive arrivals */
    int64_t transit = (int64_t)(rx_ns - tx_ns);
    if (f->have_transit)
        f->jitter_ns += (fabs((double)(transit - f->transit_ns)) - f->jitter_ns) / 16.0;
    f->transit_ns = transit;
    f->have_transit = true;
    iv->jitter_ns = (uint64_t)f->jitter_ns;
    if (shared_clock) {
        uint64_t d = rx_ns > tx_ns ? rx_ns - tx_ns : 0;
        vp_hist_add(&f->delay, d);
        iv->delay_count++;
        iv->delay_sum_ns += d;
        if (d > iv->delay_max_ns)
            iv->delay_max_ns = d;
    }
    return v;
}

uint64_t vp_udp_flow_lost(const struct vp_udp_flow *f, uint64_t sent)
{
    return sent > f->received ? sent - f->received : 0;
}
