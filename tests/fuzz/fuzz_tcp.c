/* The TCP load's wire (net/tcp_wire.c) as a sink or generator reads its
 * control connection: a preamble, then frames (header, body); what reads
 * as a preamble, HELLO, SAMPLE or REPORT writes back the same bytes, but
 * for the zero bytes a reader does not look at. */
#include "fuzz.h"
#include "net/tcp_wire.h"

static void frame(uint8_t type, const uint8_t *body, size_t len, int *streams)
{
    uint8_t *out = malloc(len ? len : 1);
    FUZZ_CHECK(out != NULL);
    struct vp_tcp_hello h;
    if (type == VP_TCP_HELLO && vp_tcp_hello_get(body, len, &h) == 0) {
        FUZZ_CHECK(h.streams >= 1 && h.streams <= VP_TCP_STREAMS_MAX);
        vp_tcp_hello_put(out, &h);
        FUZZ_CHECK(memcmp(out, body, 3) == 0 && memcmp(out + 4, body + 4, len - 4) == 0);
        *streams = h.streams;
    }
    bool report = type == VP_TCP_REPORT;
    struct vp_tcp_fig fig[VP_TCP_STREAMS_MAX];
    struct vp_tcp_sample s = {.n = *streams, .fig = fig};
    if ((report || type == VP_TCP_SAMPLE) && vp_tcp_sample_get(body, len, &s, report) == 0) {
        FUZZ_CHECK(vp_tcp_sample_size(s.n, report) == len);
        vp_tcp_sample_put(out, &s, report);
        size_t zero = report ? 0 : 4; /* a SAMPLE's bytes 4..7 */
        FUZZ_CHECK(memcmp(out, body, zero) == 0 &&
                   memcmp(out + 2 * zero, body + 2 * zero, len - 2 * zero) == 0);
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vp_tcp_preamble pre;
    uint8_t again[VP_TCP_PREAMBLE];
    if (size < VP_TCP_PREAMBLE || !vp_tcp_preamble_get(data, &pre))
        return 0;
    vp_tcp_preamble_put(again, &pre);
    FUZZ_CHECK(memcmp(again, data, 5) == 0 && memcmp(again + 6, data + 6, 10) == 0);
    int streams = 1;
    uint8_t type;
    uint32_t len;
    for (size_t off = VP_TCP_PREAMBLE; off + VP_TCP_FRAME_HEADER <= size; off += len) {
        if (vp_tcp_frame_get(data + off, &type, &len) < 0)
            break;
        FUZZ_CHECK(len <= VP_TCP_BODY_MAX);
        off += VP_TCP_FRAME_HEADER;
        if (len > size - off)
            break;
        frame(type, data + off, len, &streams);
    }
    return 0;
}
