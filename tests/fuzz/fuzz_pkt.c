/* The packet sink's frames (net/pkt_frame.c: Ethernet, IPv4, UDP, the test
 * payload): what it takes for a test frame holds its fields inside. */
#include "fuzz.h"
#include "net/pkt_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vp_pkt_seen s;
    uint8_t *frame = malloc(size ? size : 1); /* exact size: a read past it is seen */
    FUZZ_CHECK(frame != NULL);
    memcpy(frame, data, size);
    if (vp_pkt_frame_parse(frame, (uint32_t)size, &s))
        FUZZ_CHECK(size >= VP_PKT_MIN_FRAME && s.src_mac == frame + 6);
    free(frame);
    return 0;
}
