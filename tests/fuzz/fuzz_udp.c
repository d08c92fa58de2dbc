/* The UDP load's datagrams (net/udp_wire.h, udp_ctl.c, udp_report.c): what
 * reads as a header or a control body writes back the same; and a flow's
 * accounting (net/udp_flow.c) over the input as datagrams of 12 bytes
 * (seq, send stamp), its pages of intervals and buckets read back. */
#include "fuzz.h"
#include "net/udp_ctl.h"
#include "net/udp_engine.h"

static void datagram(const uint8_t *data, size_t size)
{
    struct vp_udp_header h;
    uint8_t out[VP_UDP_REPLY_MAX];
    if (!vp_udp_header_get(data, size, &h))
        return;
    vp_udp_header_put(out, &h);
    FUZZ_CHECK(memcmp(out, data, VP_UDP_HEADER) == 0);
    struct vp_udp_start s, s2;
    if (vp_udp_start_get(data, size, &s))
        FUZZ_CHECK(vp_udp_start_get(out, vp_udp_start_put(out, &h, &s), &s2) &&
                   s2.nintervals == s.nintervals && s2.interval_ns == s.interval_ns);
    struct vp_udp_start_ack a;
    struct vp_udp_tx_report t;
    enum vp_udp_page_kind kind;
    vp_udp_start_ack_get(data, size, &a);
    vp_udp_tx_report_get(data, size, &t);
    vp_udp_page_ask_get(data, size, &kind);
    struct vp_udp_page pg, pg2;
    if (vp_udp_page_get(data, size, &pg))
        FUZZ_CHECK(vp_udp_page_get(out, vp_udp_page_put(out, &h, &pg), &pg2) &&
                   pg2.count == pg.count && pg2.next == pg.next && pg2.kind == pg.kind);
    struct vp_udp_report r;
    if (size >= VP_UDP_REPORT_SIZE)
        vp_udp_report_get(data, &r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    datagram(data, size);
    struct vp_udp_flow *f = malloc(sizeof *f);
    FUZZ_CHECK(f != NULL);
    vp_udp_flow_init(f);
    FUZZ_CHECK(vp_udp_flow_intervals(f, 1000, 1000000, 40) == 0);
    uint64_t n = 0;
    for (size_t i = 0; i + 12 <= size; i += 12, n++)
        vp_udp_flow_add(f, fuzz_be(data + i, 8), 64, fuzz_be(data + i + 8, 4), 2000000000, true);
    FUZZ_CHECK(f->received + f->duplicates + f->too_late == n && f->reordered <= f->received);
    FUZZ_CHECK(vp_udp_flow_lost(f, f->top) <= f->top);
    uint8_t out[VP_UDP_REPLY_MAX];
    const struct vp_udp_header h = {VP_UDP_PAGE | VP_UDP_REPORT, 1, 0, 0, 1};
    struct vp_udp_page pg, back;
    for (uint64_t first = 0; first < 40; first = pg.next) {
        vp_udp_page_of_intervals(f, first, &pg);
        FUZZ_CHECK(vp_udp_page_put(out, &h, &pg) <= sizeof out && pg.next > first);
    }
    for (uint64_t first = 0; first < VP_HIST_BUCKETS; first = pg.next) {
        vp_udp_page_of_buckets(f, first, &pg);
        FUZZ_CHECK(vp_udp_page_get(out, vp_udp_page_put(out, &h, &pg), &back));
        FUZZ_CHECK(back.count == pg.count && pg.next > first);
    }
    struct vp_udp_report r;
    vp_udp_report_of(f, &r);
    vp_udp_flow_free(f);
    free(f);
    return 0;
}
