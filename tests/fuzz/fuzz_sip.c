/* SIP messages (sip/msg.c): any input gives OK or a cause, a body inside
 * the input, and to an accepted request a response that parses again. */
#include "fuzz.h"
#include "sip/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vp_sip_msg m;
    enum vp_sip_perr e = vp_sip_parse((const char *)data, size, &m);
    FUZZ_CHECK((unsigned)e < VP_SIP_E_COUNT);
    if (e != VP_SIP_OK)
        return 0;
    FUZZ_CHECK(m.body.p >= (const char *)data &&
               m.body.p + m.body.len <= (const char *)data + size);
    if (m.is_request) {
        char out[8192];
        struct vp_sip_buf b;
        vp_sip_buf_init(&b, out, sizeof out);
        if (vp_sip_build_response(&b, &m, 200, "OK", "t", "<sip:x@127.0.0.1>") == 0) {
            struct vp_sip_msg r;
            enum vp_sip_perr e2 = vp_sip_parse(out, b.len, &r);
            /* a reply to an accepted request is itself acceptable */
            FUZZ_CHECK(e2 == VP_SIP_OK || e2 == VP_SIP_E_TOO_MANY);
        }
    }
    return 0;
}
