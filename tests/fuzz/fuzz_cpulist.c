/* CPU lists (platform/registry.c: vp_cpulist_parse): a count of the CPUs
 * set in the mask, or an input error with a message; nothing written
 * outside the mask. */
#include "fuzz.h"
#include "platform/platform.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_string(data, size);
    struct vp_cpumask m;
    struct vp_err err = {0};
    int n = vp_cpulist_parse("cpus", s, &m, &err);
    if (n >= 0) {
        int set = 0;
        for (size_t w = 0; w < sizeof m.bits / sizeof m.bits[0]; w++)
            set += __builtin_popcountl(m.bits[w]);
        FUZZ_CHECK(set == n);
    } else {
        FUZZ_CHECK(err.kind == VP_ERR_INPUT && err.msg[0] != '\0');
    }
    free(s);
    return 0;
}
