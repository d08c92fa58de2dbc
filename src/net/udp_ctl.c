#include "net/udp_ctl.h"

#include <endian.h>
#include <math.h>
#include <string.h>

static size_t put(uint8_t *p, const struct vp_udp_header *h, const uint64_t *v, size_t n)
{
    vp_udp_header_put(p, h);
    for (size_t i = 0; i < n; i++) {
        uint64_t be = htobe64(v[i]);
        memcpy(p + VP_UDP_HEADER + 8 * i, &be, 8);
    }
    return VP_UDP_HEADER + 8 * n;
}

static bool get(const uint8_t *p, size_t len, uint64_t *v, size_t n)
{
    if (len < VP_UDP_HEADER + 8 * n)
        return false;
    for (size_t i = 0; i < n; i++) {
        memcpy(&v[i], p + VP_UDP_HEADER + 8 * i, 8);
        v[i] = be64toh(v[i]);
    }
    return true;
}

size_t vp_udp_start_put(uint8_t *p, const struct vp_udp_header *h, const struct vp_udp_start *s)
{
    const uint64_t v[] = {
        s->interval_ns,     s->epoch_ns,   s->nintervals,
        s->directions,      s->down_flow,  s->down_port,
        s->down_size,       s->down_batch, (uint64_t)llround(s->down_rate * 1000), /* mHz */
        s->down_duration_ns};
    size_t len = put(p, h, v, sizeof v / sizeof v[0]);
    /* at least the smallest test datagram: a path that passes those passes it */
    if (len < VP_UDP_MIN_SIZE) {
        memset(p + len, 0, VP_UDP_MIN_SIZE - len);
        len = VP_UDP_MIN_SIZE;
    }
    return len;
}

bool vp_udp_start_get(const uint8_t *p, size_t len, struct vp_udp_start *s)
{
    uint64_t v[10];
    if (!get(p, len, v, 10))
        return false;
    *s = (struct vp_udp_start){.interval_ns = v[0],
                               .epoch_ns = v[1],
                               .nintervals = (uint32_t)v[2],
                               .directions = (unsigned)v[3],
                               .down_flow = (uint16_t)v[4],
                               .down_port = (uint16_t)v[5],
                               .down_size = (uint32_t)v[6],
                               .down_batch = (uint32_t)v[7],
                               .down_rate = (double)v[8] / 1000,
                               .down_duration_ns = v[9]};
    return true;
}

size_t vp_udp_start_ack_put(uint8_t *p, const struct vp_udp_header *h,
                            const struct vp_udp_start_ack *a)
{
    const uint64_t v[] = {a->down_epoch_ns, a->error};
    return put(p, h, v, 2);
}

bool vp_udp_start_ack_get(const uint8_t *p, size_t len, struct vp_udp_start_ack *a)
{
    uint64_t v[2];
    if (!get(p, len, v, 2))
        return false;
    *a = (struct vp_udp_start_ack){v[0], v[1]};
    return true;
}

size_t vp_udp_tx_report_put(uint8_t *p, const struct vp_udp_header *h,
                            const struct vp_udp_tx_report *r)
{
    const uint64_t v[] = {r->sent,       r->planned,    r->refused,  r->calls,    r->cpu_ns,
                          r->elapsed_ns, r->late_count, r->late_p50, r->late_p99, r->late_max};
    return put(p, h, v, 10);
}

bool vp_udp_tx_report_get(const uint8_t *p, size_t len, struct vp_udp_tx_report *r)
{
    uint64_t v[10];
    if (!get(p, len, v, 10))
        return false;
    *r = (struct vp_udp_tx_report){v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]};
    return true;
}

size_t vp_udp_page_ask_put(uint8_t *p, const struct vp_udp_header *h, enum vp_udp_page_kind kind)
{
    const uint64_t v[] = {(uint64_t)kind};
    return put(p, h, v, 1);
}

bool vp_udp_page_ask_get(const uint8_t *p, size_t len, enum vp_udp_page_kind *kind)
{
    uint64_t v;
    if (!get(p, len, &v, 1) || v > VP_UDP_PAGE_BUCKETS)
        return false;
    *kind = (enum vp_udp_page_kind)v;
    return true;
}

/* A page's integers at most: kind, count, next, the records. */
#define PAGE_WORDS_A (VP_UDP_PAGE_INTERVALS_MAX * VP_UDP_IVAL_FIELDS)
#define PAGE_WORDS_B (VP_UDP_PAGE_BUCKETS_MAX * 2)
#define PAGE_WORDS   (3 + (PAGE_WORDS_A > PAGE_WORDS_B ? PAGE_WORDS_A : PAGE_WORDS_B))

/* A record's integers: an interval's members in order, or a bucket's pair. */
static void ival_to(const struct vp_udp_ival *iv, uint64_t *v)
{
    const uint64_t m[VP_UDP_IVAL_FIELDS] = {iv->sent,        iv->received,     iv->duplicates,
                                            iv->reordered,   iv->too_late,     iv->jitter_ns,
                                            iv->delay_count, iv->delay_sum_ns, iv->delay_max_ns};
    memcpy(v, m, sizeof m);
}

static void ival_from(const uint64_t *v, struct vp_udp_ival *iv)
{
    *iv = (struct vp_udp_ival){v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]};
}

static size_t record_size(enum vp_udp_page_kind kind)
{
    return kind == VP_UDP_PAGE_INTERVALS ? VP_UDP_IVAL_FIELDS : 2;
}

static uint32_t record_max(enum vp_udp_page_kind kind)
{
    return kind == VP_UDP_PAGE_INTERVALS ? VP_UDP_PAGE_INTERVALS_MAX : VP_UDP_PAGE_BUCKETS_MAX;
}

size_t vp_udp_page_put(uint8_t *p, const struct vp_udp_header *h, const struct vp_udp_page *pg)
{
    uint64_t v[PAGE_WORDS];
    size_t rs = record_size(pg->kind);
    v[0] = pg->kind;
    v[1] = pg->count;
    v[2] = pg->next;
    for (uint32_t i = 0; i < pg->count; i++) {
        if (pg->kind == VP_UDP_PAGE_INTERVALS)
            ival_to(&pg->iv[i], v + 3 + i * rs);
        else
            memcpy(v + 3 + i * rs, pg->bucket[i], sizeof pg->bucket[i]);
    }
    return put(p, h, v, 3 + pg->count * rs);
}

bool vp_udp_page_get(const uint8_t *p, size_t len, struct vp_udp_page *pg)
{
    uint64_t v[PAGE_WORDS];
    struct vp_udp_header h;
    if (!vp_udp_header_get(p, len, &h) || !get(p, len, v, 3) || v[0] > VP_UDP_PAGE_BUCKETS)
        return false;
    pg->kind = (enum vp_udp_page_kind)v[0];
    size_t rs = record_size(pg->kind);
    if (v[1] > record_max(pg->kind) || !get(p, len, v, 3 + v[1] * rs))
        return false;
    pg->first = h.seq;
    pg->count = (uint32_t)v[1];
    pg->next = v[2];
    for (uint32_t i = 0; i < pg->count; i++) {
        if (pg->kind == VP_UDP_PAGE_INTERVALS)
            ival_from(v + 3 + i * rs, &pg->iv[i]);
        else
            memcpy(pg->bucket[i], v + 3 + i * rs, sizeof pg->bucket[i]);
    }
    return true;
}

void vp_udp_page_of_intervals(const struct vp_udp_flow *f, uint64_t first, struct vp_udp_page *pg)
{
    pg->kind = VP_UDP_PAGE_INTERVALS;
    pg->first = first;
    pg->count = 0;
    for (uint64_t i = first; i < f->nintervals && pg->count < VP_UDP_PAGE_INTERVALS_MAX; i++)
        pg->iv[pg->count++] = f->iv[i];
    pg->next = first + pg->count;
    if (pg->next < first || first >= f->nintervals)
        pg->next = f->nintervals;
}

void vp_udp_page_of_buckets(const struct vp_udp_flow *f, uint64_t first, struct vp_udp_page *pg)
{
    pg->kind = VP_UDP_PAGE_BUCKETS;
    pg->first = first;
    pg->count = 0;
    uint64_t i = first;
    for (; i < VP_HIST_BUCKETS && pg->count < VP_UDP_PAGE_BUCKETS_MAX; i++)
        if (f->delay.buckets[i]) {
            pg->bucket[pg->count][0] = i;
            pg->bucket[pg->count++][1] = f->delay.buckets[i];
        }
    pg->next = i;
}
