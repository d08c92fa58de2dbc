/* The time server's key file (timing/probe.c: 32 raw bytes or 64 hex
 * digits) and run tokens as typed (16 hex digits): what is accepted reads
 * back the same. */
#include <strings.h>

#include "fuzz.h"
#include "timing/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vp_probe_key k;
    bool ok = vp_probe_key_parse(data, size, &k);
    if (size == VP_PROBE_KEY_SIZE)
        FUZZ_CHECK(ok && memcmp(k.k, data, size) == 0);
    else if (ok) /* 64 hex digits in there: the first of them is the key's */
        FUZZ_CHECK(size >= 2 * VP_PROBE_KEY_SIZE);
    char *s = fuzz_string(data, size);
    uint64_t t;
    if (vp_probe_token_parse(s, &t) == 0) {
        char hex[17];
        uint64_t back;
        vp_probe_token_format(t, hex);
        FUZZ_CHECK(t != 0 && vp_probe_token_parse(hex, &back) == 0 && back == t);
        FUZZ_CHECK(strlen(s) <= 16 && strcasecmp(hex + 16 - strlen(s), s) == 0);
    }
    free(s);
    return 0;
}
