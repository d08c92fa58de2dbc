#include "core/units.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct suffix {
    const char *name;
    double factor;
};

static const struct suffix size_suffixes[] = {
    {"", 1},
    {"b", 1},
    {"k", 1024.0},
    {"kib", 1024.0},
    {"kb", 1e3},
    {"m", 1048576.0},
    {"mib", 1048576.0},
    {"mb", 1e6},
    {"g", 1073741824.0},
    {"gib", 1073741824.0},
    {"gb", 1e9},
    {"t", 1099511627776.0},
    {"tib", 1099511627776.0},
    {"tb", 1e12},
};

static const struct suffix duration_suffixes[] = {
    {"", 1e9},  {"ns", 1},   {"us", 1e3},   {"ms", 1e6},
    {"s", 1e9}, {"m", 60e9}, {"min", 60e9}, {"h", 3600e9},
};

/* Parse "<number><suffix>" where the number is a non-negative decimal. */
static int parse_scaled(const char *s, const struct suffix *tab, size_t ntab, uint64_t *out)
{
    if (s == NULL || *s == '\0' || *s == '-' || *s == '+' || *s == ' ')
        return -EINVAL;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s)
        return -EINVAL;
    /* hex floats and exponents are not what people mean by sizes */
    for (const char *p = s; p < end; p++)
        if (!(*p >= '0' && *p <= '9') && *p != '.')
            return -EINVAL;
    if (errno == ERANGE && v > 1) /* more digits than a double holds */
        return -ERANGE;
    if (errno == ERANGE || !isfinite(v) || v < 0)
        return -EINVAL;
    for (size_t i = 0; i < ntab; i++) {
        if (strcasecmp(end, tab[i].name) != 0)
            continue;
        double scaled = v * tab[i].factor;
        if (scaled >= 18446744073709551615.0)
            return -ERANGE;
        *out = (uint64_t)round(scaled); /* llround stops at 2^63 */
        return 0;
    }
    return -EINVAL;
}

int vp_parse_size(const char *s, uint64_t *out)
{
    return parse_scaled(s, size_suffixes, sizeof size_suffixes / sizeof size_suffixes[0], out);
}

int vp_parse_duration_ns(const char *s, uint64_t *out)
{
    return parse_scaled(s, duration_suffixes,
                        sizeof duration_suffixes / sizeof duration_suffixes[0], out);
}

/* "%.3g" with its unit, but never exponent notation: "%.3g" turns 1023.4
 * into "1.02e+03", and a unit's value reaches 1023.x (KiB) or thousands (min). */
static void format_3g(char *buf, size_t len, double v, const char *unit)
{
    if (v >= 999.5)
        snprintf(buf, len, "%.0f %s", v, unit);
    else
        snprintf(buf, len, "%.3g %s", v, unit);
}

void vp_format_size(uint64_t bytes, char *buf, size_t len)
{
    static const char *const names[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)bytes;
    size_t i = 0;
    while (v >= 1024.0 && i + 1 < sizeof names / sizeof names[0]) {
        v /= 1024.0;
        i++;
    }
    if (i == 0 || v == floor(v))
        snprintf(buf, len, "%.0f %s", v, names[i]);
    else
        format_3g(buf, len, v, names[i]);
}

void vp_format_duration(uint64_t ns, char *buf, size_t len)
{
    double v = (double)ns;
    if (v < 1e3)
        snprintf(buf, len, "%.0f ns", v);
    else if (v < 1e6)
        format_3g(buf, len, v / 1e3, "us");
    else if (v < 1e9)
        format_3g(buf, len, v / 1e6, "ms");
    else if (v < 120e9)
        format_3g(buf, len, v / 1e9, "s");
    else
        format_3g(buf, len, v / 60e9, "min");
}

const char *vp_format_figure(char *buf, size_t len, const char *fmt, double v)
{
    if (!isfinite(v))
        return "-";
    snprintf(buf, len, fmt, v);
    return buf;
}
