/* The timing probe's datagram (timing/probe.c): any input is refused with
 * a status or read; signed with the key, the checks past the tag run, and
 * what they accept encodes back to the same bytes. */
#include <sodium.h>

#include "fuzz.h"
#include "timing/probe.h"

static const struct vp_probe_key key = {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vp_probe p;
    int st = vp_probe_decode(data, size, &key, &p);
    FUZZ_CHECK(st >= VP_PROBE_OK && st <= VP_PROBE_BAD_TAG);
    FUZZ_CHECK(strcmp(vp_probe_status_name(st), "?") != 0);
    if (size != VP_PROBE_SIZE) {
        FUZZ_CHECK(st == VP_PROBE_TRUNCATED);
        return 0;
    }
    uint8_t signed_[VP_PROBE_SIZE], again[VP_PROBE_SIZE];
    memcpy(signed_, data, size);
    crypto_auth_hmacsha256(signed_ + VP_PROBE_TAG_OFF, signed_, VP_PROBE_TAG_OFF, key.k);
    st = vp_probe_decode(signed_, size, &key, &p);
    FUZZ_CHECK(st != VP_PROBE_BAD_TAG && st != VP_PROBE_TRUNCATED);
    if (st == VP_PROBE_OK) {
        FUZZ_CHECK(strlen(p.appliance) < VP_PROBE_APPLIANCE_MAX);
        FUZZ_CHECK(strcmp(vp_probe_kind_name(p.kind), "?") != 0);
        vp_probe_encode(&p, &key, again);
        FUZZ_CHECK(memcmp(again, signed_, sizeof again) == 0);
    }
    return 0;
}
