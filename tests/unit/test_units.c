/* Sizes, durations and their human-readable forms (core/units). */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "core/units.h"

/* Parse s as a size; a sentinel in *out shows whether it was written. */
static int size_of(const char *s, uint64_t *out)
{
    *out = 0xdeadbeefULL;
    return vp_parse_size(s, out);
}

static int dur_of(const char *s, uint64_t *out)
{
    *out = 0xdeadbeefULL;
    return vp_parse_duration_ns(s, out);
}

#define SIZE_OK(s, expect)                                                                         \
    do {                                                                                           \
        uint64_t v_;                                                                               \
        CHECK_INT(size_of(s, &v_), 0);                                                             \
        CHECK(v_ == (uint64_t)(expect));                                                           \
        if (v_ != (uint64_t)(expect))                                                              \
            fprintf(stderr, "  size \"%s\" -> %llu, expected %llu\n", s, (unsigned long long)v_,   \
                    (unsigned long long)(expect));                                                 \
    } while (0)

#define SIZE_BAD(s, rc)                                                                            \
    do {                                                                                           \
        uint64_t v_;                                                                               \
        CHECK_INT(size_of(s, &v_), rc);                                                            \
        CHECK(v_ == 0xdeadbeefULL); /* untouched on error */                                       \
    } while (0)

#define DUR_OK(s, expect)                                                                          \
    do {                                                                                           \
        uint64_t v_;                                                                               \
        CHECK_INT(dur_of(s, &v_), 0);                                                              \
        CHECK(v_ == (uint64_t)(expect));                                                           \
        if (v_ != (uint64_t)(expect))                                                              \
            fprintf(stderr, "  duration \"%s\" -> %llu ns, expected %llu\n", s,                    \
                    (unsigned long long)v_, (unsigned long long)(expect));                         \
    } while (0)

#define DUR_BAD(s, rc)                                                                             \
    do {                                                                                           \
        uint64_t v_;                                                                               \
        CHECK_INT(dur_of(s, &v_), rc);                                                             \
        CHECK(v_ == 0xdeadbeefULL);                                                                \
    } while (0)

static void test_size_plain(void)
{
    SIZE_OK("0", 0);
    SIZE_OK("1", 1);
    SIZE_OK("512", 512);
    SIZE_OK("512b", 512);
    SIZE_OK("512B", 512);
    SIZE_OK("007", 7);
    SIZE_OK("18446744073709549568", 18446744073709549568ULL); /* largest double below 2^64 */
}

static void test_size_binary_suffixes(void)
{
    SIZE_OK("4k", 4096);
    SIZE_OK("4K", 4096);
    SIZE_OK("4KiB", 4096);
    SIZE_OK("4kib", 4096);
    SIZE_OK("16k", 16384);
    SIZE_OK("4M", 4194304);
    SIZE_OK("4m", 4194304);
    SIZE_OK("4MiB", 4194304);
    SIZE_OK("2GiB", 2147483648ULL);
    SIZE_OK("2G", 2147483648ULL);
    SIZE_OK("1.5G", 1610612736ULL);
    SIZE_OK("1.5k", 1536);
    SIZE_OK("0.5M", 524288);
    SIZE_OK("3T", 3ULL << 40);
    SIZE_OK("3TiB", 3ULL << 40);
    SIZE_OK("0k", 0);
    SIZE_OK(".5k", 512);
    SIZE_OK("1.k", 1024);
}

static void test_size_decimal_suffixes(void)
{
    SIZE_OK("4kB", 4000);
    SIZE_OK("4kb", 4000);
    SIZE_OK("4MB", 4000000);
    SIZE_OK("4GB", 4000000000ULL);
    SIZE_OK("2TB", 2000000000000ULL);
    SIZE_OK("1.5MB", 1500000);
}

static void test_size_rounding(void)
{
    /* fractions of a byte round to the nearest whole byte */
    SIZE_OK("0.1k", 102);   /* 102.4 */
    SIZE_OK("0.9k", 922);   /* 921.6 */
    SIZE_OK("0.0005kB", 1); /* 0.5 → away from zero */
    SIZE_OK("2.4", 2);
    SIZE_OK("2.6", 3);
}

static void test_size_large(void)
{
    /* values between 2^63 and 2^64 fit a uint64_t and must come back exactly */
    SIZE_OK("8388608T", 1ULL << 63);
    SIZE_OK("10000000T", 10000000ULL * (1ULL << 40));
    SIZE_OK("16777215T", 16777215ULL * (1ULL << 40));
    SIZE_OK("18000000TB", 18000000000000000000ULL);
}

static void test_size_rejects(void)
{
    SIZE_BAD("", -EINVAL);
    SIZE_BAD("-1", -EINVAL);
    SIZE_BAD("-0", -EINVAL);
    SIZE_BAD("+1", -EINVAL);
    SIZE_BAD("4X", -EINVAL);
    SIZE_BAD("4kk", -EINVAL);
    SIZE_BAD("4KiBs", -EINVAL);
    SIZE_BAD("0x10", -EINVAL);
    SIZE_BAD("1e3", -EINVAL);
    SIZE_BAD("1E3", -EINVAL);
    SIZE_BAD("abc", -EINVAL);
    SIZE_BAD("k", -EINVAL);
    SIZE_BAD(".", -EINVAL);
    SIZE_BAD(" 4k", -EINVAL);
    SIZE_BAD("\t4k", -EINVAL);
    SIZE_BAD("4 k", -EINVAL);
    SIZE_BAD("4k ", -EINVAL);
    SIZE_BAD("nan", -EINVAL);
    SIZE_BAD("NaN", -EINVAL);
    SIZE_BAD("inf", -EINVAL);
    SIZE_BAD("infinity", -EINVAL);
    SIZE_BAD("4ms", -EINVAL); /* a duration is not a size */
    SIZE_BAD("1,5k", -EINVAL);
    uint64_t v = 1;
    CHECK_INT(vp_parse_size(NULL, &v), -EINVAL);
    CHECK(v == 1);
}

static void test_size_overflow(void)
{
    SIZE_BAD("99999999999T", -ERANGE);
    SIZE_BAD("16777216T", -ERANGE); /* exactly 2^64 */
    SIZE_BAD("18446744073709551616", -ERANGE);
    SIZE_BAD("20000000TB", -ERANGE);
    /* more digits than a double can hold is an overflow too, not a typo */
    char big[400];
    memset(big, '9', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    SIZE_BAD(big, -ERANGE);
}

static void test_duration_units(void)
{
    DUR_OK("10ms", 10000000ULL);
    DUR_OK("10MS", 10000000ULL);
    DUR_OK("2s", 2000000000ULL);
    DUR_OK("1.5s", 1500000000ULL);
    DUR_OK("500us", 500000ULL);
    DUR_OK("100ns", 100ULL);
    DUR_OK("2m", 120000000000ULL);
    DUR_OK("2min", 120000000000ULL);
    DUR_OK("1h", 3600000000000ULL);
    DUR_OK("0.5h", 1800000000000ULL);
    DUR_OK("3", 3000000000ULL);
    DUR_OK("0.25", 250000000ULL);
    DUR_OK("0", 0);
    DUR_OK("0s", 0);
    DUR_OK("1.5ns", 2); /* rounds to whole nanoseconds */
}

static void test_duration_rejects(void)
{
    DUR_BAD("10 parsecs", -EINVAL);
    DUR_BAD("10parsecs", -EINVAL);
    DUR_BAD("-1s", -EINVAL);
    DUR_BAD("ms", -EINVAL);
    DUR_BAD("", -EINVAL);
    DUR_BAD("10 ms", -EINVAL);
    DUR_BAD(" 10ms", -EINVAL);
    DUR_BAD("1e3ms", -EINVAL);
    DUR_BAD("4k", -EINVAL); /* a size is not a duration */
    DUR_BAD("1d", -EINVAL);
    DUR_BAD("nan", -EINVAL);
    DUR_BAD("inf", -EINVAL);
    DUR_BAD("999999999999h", -ERANGE);
    DUR_BAD("18446744074s", -ERANGE); /* just above 2^64 ns */
}

static void test_format_size(void)
{
    char buf[64];
    vp_format_size(4194304, buf, sizeof buf);
    CHECK_STR(buf, "4 MiB");
    vp_format_size(1536, buf, sizeof buf);
    CHECK_STR(buf, "1.5 KiB");
    vp_format_size(100, buf, sizeof buf);
    CHECK_STR(buf, "100 B");
    vp_format_size(0, buf, sizeof buf);
    CHECK_STR(buf, "0 B");
    vp_format_size(1023, buf, sizeof buf);
    CHECK_STR(buf, "1023 B");
    vp_format_size(1024, buf, sizeof buf);
    CHECK_STR(buf, "1 KiB");
    vp_format_size(512, buf, sizeof buf);
    CHECK_STR(buf, "512 B");
    vp_format_size(1610612736ULL, buf, sizeof buf);
    CHECK_STR(buf, "1.5 GiB");
    vp_format_size(3ULL << 40, buf, sizeof buf);
    CHECK_STR(buf, "3 TiB");
    vp_format_size(1ULL << 50, buf, sizeof buf); /* TiB is the largest unit */
    CHECK_STR(buf, "1024 TiB");
    vp_format_size(4000000, buf, sizeof buf); /* 3.81 MiB */
    CHECK_STR(buf, "3.81 MiB");
    vp_format_size(1024000, buf, sizeof buf);
    CHECK_STR(buf, "1000 KiB");
    /* between 999.5 and 1024 of a unit: a plain number, never "1.02e+03" */
    vp_format_size(1048000, buf, sizeof buf); /* 1023.4 KiB */
    CHECK(strchr(buf, 'e') == NULL);
    CHECK_STR(buf, "1023 KiB");
    vp_format_size(1048575, buf, sizeof buf); /* 1023.999 KiB */
    CHECK_STR(buf, "1024 KiB");
    vp_format_size(UINT64_MAX, buf, sizeof buf);
    CHECK_STR(buf, "16777216 TiB");

    /* a short buffer is truncated, not overrun */
    char small[4];
    vp_format_size(4194304, small, sizeof small);
    CHECK_STR(small, "4 M");
}

static void test_format_duration(void)
{
    char buf[64];
    vp_format_duration(0, buf, sizeof buf);
    CHECK_STR(buf, "0 ns");
    vp_format_duration(999, buf, sizeof buf);
    CHECK_STR(buf, "999 ns");
    vp_format_duration(1000, buf, sizeof buf);
    CHECK_STR(buf, "1 us");
    vp_format_duration(1500, buf, sizeof buf);
    CHECK_STR(buf, "1.5 us");
    vp_format_duration(250000000ULL, buf, sizeof buf);
    CHECK_STR(buf, "250 ms");
    vp_format_duration(1250000000ULL, buf, sizeof buf);
    CHECK_STR(buf, "1.25 s");
    vp_format_duration(10000000ULL, buf, sizeof buf);
    CHECK_STR(buf, "10 ms");
    vp_format_duration(119000000000ULL, buf, sizeof buf);
    CHECK_STR(buf, "119 s");
    vp_format_duration(120000000000ULL, buf, sizeof buf);
    CHECK_STR(buf, "2 min");
    vp_format_duration(180000000000ULL, buf, sizeof buf);
    CHECK_STR(buf, "3 min");
    vp_format_duration(3600000000000ULL, buf, sizeof buf);
    CHECK_STR(buf, "60 min");
    /* no exponent notation at the top of a unit or for long runs */
    vp_format_duration(999999, buf, sizeof buf);
    CHECK(strchr(buf, 'e') == NULL);
    CHECK_STR(buf, "1000 us");
    vp_format_duration(360000000000000ULL, buf, sizeof buf); /* 100 h */
    CHECK_STR(buf, "6000 min");
}

static void test_round_trip(void)
{
    /* what vp_format_* prints (without the space) parses back to the value */
    static const uint64_t sizes[] = {0, 1, 512, 1024, 1536, 4194304, 1610612736ULL, 3ULL << 40};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char buf[64], word[64];
        vp_format_size(sizes[i], buf, sizeof buf);
        char *sp = strchr(buf, ' ');
        CHECK(sp != NULL);
        if (sp == NULL)
            continue;
        snprintf(word, sizeof word, "%.*s%s", (int)(sp - buf), buf, sp + 1);
        uint64_t v = 0;
        CHECK_INT(vp_parse_size(word, &v), 0);
        CHECK(v == sizes[i]);
    }
    static const uint64_t durs[] = {0, 100, 1500, 250000000ULL, 1250000000ULL, 180000000000ULL};
    for (size_t i = 0; i < sizeof durs / sizeof durs[0]; i++) {
        char buf[64], word[64];
        vp_format_duration(durs[i], buf, sizeof buf);
        char *sp = strchr(buf, ' ');
        CHECK(sp != NULL);
        if (sp == NULL)
            continue;
        snprintf(word, sizeof word, "%.*s%s", (int)(sp - buf), buf, sp + 1);
        uint64_t v = 0;
        CHECK_INT(vp_parse_duration_ns(word, &v), 0);
        CHECK(v == durs[i]);
    }
}

int main(void)
{
    RUN(test_size_plain);
    RUN(test_size_binary_suffixes);
    RUN(test_size_decimal_suffixes);
    RUN(test_size_rounding);
    RUN(test_size_large);
    RUN(test_size_rejects);
    RUN(test_size_overflow);
    RUN(test_duration_units);
    RUN(test_duration_rejects);
    RUN(test_format_size);
    RUN(test_format_duration);
    RUN(test_round_trip);
    return CHECK_DONE();
}
