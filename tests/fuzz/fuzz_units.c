/* Sizes and durations as people type them (core/units.c): a value, or
 * -EINVAL / -ERANGE with the output untouched; every value formats. */
#include <errno.h>

#include "core/units.h"
#include "fuzz.h"

static void one(int (*parse)(const char *, uint64_t *), const char *s)
{
    uint64_t v = 0x5eed;
    int rc = parse(s, &v);
    FUZZ_CHECK(rc == 0 || ((rc == -EINVAL || rc == -ERANGE) && v == 0x5eed));
    char buf[64];
    vp_format_size(v, buf, sizeof buf);
    vp_format_duration(v, buf, sizeof buf);
    FUZZ_CHECK(strlen(vp_format_figure(buf, sizeof buf, "%.3f", (double)v)) < sizeof buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_string(data, size);
    one(vp_parse_size, s);
    one(vp_parse_duration_ns, s);
    free(s);
    return 0;
}
