/* Numbers with units, as people type them.
 *
 * Sizes and counts: a number with an optional fraction and suffix.
 *   k K M G T (and KiB MiB GiB TiB) are powers of 1024, as in dd and fio;
 *   kB MB GB TB are powers of 1000. "1M" digits is 1,048,576, Super-Pi's "1M".
 * Durations: a number with ns, us, ms, s, m or h; a bare number is seconds. */
#ifndef VP_CORE_UNITS_H
#define VP_CORE_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* 0, or -EINVAL for a malformed string, -ERANGE for one that overflows. */
int vp_parse_size(const char *s, uint64_t *out);
int vp_parse_duration_ns(const char *s, uint64_t *out);

/* "4 MiB", "1.5 GiB", "512 B" */
void vp_format_size(uint64_t bytes, char *buf, size_t len);
/* "250 ms", "1.25 s", "3 min" */
void vp_format_duration(uint64_t ns, char *buf, size_t len);
/* A figure for a table: v in fmt into buf, or "-" when there is none (NaN),
 * never "nan". Returns the text. */
const char *vp_format_figure(char *buf, size_t len, const char *fmt, double v);

#endif
