#include "net/udp_report.h"

#include <endian.h>
#include <string.h>

void vp_udp_report_of(const struct vp_udp_flow *f, struct vp_udp_report *r)
{
    const struct vp_hist *d = &f->delay;
    *r = (struct vp_udp_report){.received = f->received,
                                .bytes = f->bytes,
                                .duplicates = f->duplicates,
                                .reordered = f->reordered,
                                .too_late = f->too_late,
                                .jitter_ns = (uint64_t)f->jitter_ns,
                                .delay_count = d->count};
    if (d->count) {
        r->delay_min = d->min;
        r->delay_p50 = (uint64_t)vp_hist_percentile(d, 50);
        r->delay_p99 = (uint64_t)vp_hist_percentile(d, 99);
        r->delay_max = d->max;
    }
}

void vp_udp_report_put(uint8_t *p, const struct vp_udp_report *r)
{
    const uint64_t v[11] = {r->received,  r->bytes,     r->duplicates,  r->reordered,
                            r->too_late,  r->jitter_ns, r->delay_count, r->delay_min,
                            r->delay_p50, r->delay_p99, r->delay_max};
    for (int i = 0; i < 11; i++) {
        uint64_t be = htobe64(v[i]);
        memcpy(p + VP_UDP_HEADER + 8 * i, &be, 8);
    }
}

void vp_udp_report_get(const uint8_t *p, struct vp_udp_report *r)
{
    uint64_t v[11];
    for (int i = 0; i < 11; i++) {
        memcpy(&v[i], p + VP_UDP_HEADER + 8 * i, 8);
        v[i] = be64toh(v[i]);
    }
    *r = (struct vp_udp_report){v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10]};
}
