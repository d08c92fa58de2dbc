/* Option tables: defaults, argv and list parsing, formatting, help (core/opt). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <limits.h>
#include <unistd.h>

#include "check.h"
#include "core/opt.h"
#include "core/path.h"

struct params {
    bool verbose;
    int64_t threads;
    uint64_t block;
    uint64_t runtime;
    double ratio;
    char label[VP_STR_MAX];
    int mode;
    int64_t secret;
};

static const char *const modes[] = {"read", "write", "mixed", NULL};

#define P(f) offsetof(struct params, f)
static const struct vp_opt popts[] = {
    {"verbose", VP_OPT_BOOL, P(verbose), NULL, 0, 0, NULL, "say more", false},
    {"threads", VP_OPT_INT, P(threads), "4", 1, 64, NULL, "worker threads", false},
    {"block", VP_OPT_SIZE, P(block), "4k", 512, 1073741824.0, NULL, "block size", false},
    {"runtime", VP_OPT_DURATION, P(runtime), "10s", 0, 0, NULL, "how long", false},
    {"ratio", VP_OPT_DOUBLE, P(ratio), "0.5", 0, 1, NULL, "read share", false},
    {"label", VP_OPT_STRING, P(label), "run", 0, 0, NULL, "a name", false},
    {"mode", VP_OPT_ENUM, P(mode), "write", 0, 0, modes, "access pattern", false},
    {"secret", VP_OPT_INT, P(secret), "7", 0, 0, NULL, "test hook", true},
    VP_OPT_END,
};

/* A second set, as a command's common options next to a workload's. */
struct common {
    int64_t repeat;
    bool json;
};

static const struct vp_opt copts[] = {
    {"repeat", VP_OPT_INT, offsetof(struct common, repeat), "1", 1, 1000, NULL, "repetitions",
     false},
    {"json", VP_OPT_BOOL, offsetof(struct common, json), "false", 0, 0, NULL, "JSON output", false},
    VP_OPT_END,
};

static void fresh(struct params *p, struct vp_err *err)
{
    memset(p, 0xAA, sizeof *p);
    memset(err, 0, sizeof *err);
    CHECK_INT(vp_opt_defaults(popts, p, err), 0);
}

static bool contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle)) {
        fprintf(stderr, "  \"%s\" does not contain \"%s\"\n", hay, needle);
        return false;
    }
    return true;
}

/* Parse a NULL-terminated argument list against popts and copts. */
static int parse(struct params *p, struct common *c, struct vp_err *err, char **pos, int maxpos,
                 int *npos, const char **args)
{
    char *argv[32];
    int argc = 0;
    while (args[argc]) {
        argv[argc] = (char *)args[argc];
        argc++;
    }
    struct vp_optset sets[] = {{popts, p}, {copts, c}};
    return vp_opt_parse_argv(sets, 2, argc, argv, pos, maxpos, npos, err);
}

static void test_defaults(void)
{
    struct params p;
    struct vp_err err;
    fresh(&p, &err);
    CHECK(p.verbose == false);
    CHECK_INT(p.threads, 4);
    CHECK_INT(p.block, 4096);
    CHECK_INT(p.runtime, 10000000000LL);
    CHECK(p.ratio == 0.5);
    CHECK_STR(p.label, "run");
    CHECK_INT(p.mode, 1);
    CHECK_INT(p.secret, 7);
    CHECK_INT(err.kind, VP_ERR_NONE);
}

static void test_defaults_null_is_zero(void)
{
    struct params p;
    static const struct vp_opt zopts[] = {
        {"verbose", VP_OPT_BOOL, P(verbose), NULL, 0, 0, NULL, NULL, false},
        {"threads", VP_OPT_INT, P(threads), NULL, 0, 0, NULL, NULL, false},
        {"block", VP_OPT_SIZE, P(block), NULL, 0, 0, NULL, NULL, false},
        {"runtime", VP_OPT_DURATION, P(runtime), NULL, 0, 0, NULL, NULL, false},
        {"ratio", VP_OPT_DOUBLE, P(ratio), NULL, 0, 0, NULL, NULL, false},
        {"label", VP_OPT_STRING, P(label), NULL, 0, 0, NULL, NULL, false},
        {"mode", VP_OPT_ENUM, P(mode), NULL, 0, 0, modes, NULL, false},
        {"secret", VP_OPT_INT, P(secret), NULL, 0, 0, NULL, NULL, true},
        VP_OPT_END,
    };
    struct vp_err err = {0};
    memset(&p, 0xAA, sizeof p);
    CHECK_INT(vp_opt_defaults(zopts, &p, &err), 0);
    CHECK(p.verbose == false);
    CHECK_INT(p.threads, 0);
    CHECK_INT(p.block, 0);
    CHECK_INT(p.runtime, 0);
    CHECK(p.ratio == 0.0);
    CHECK_STR(p.label, "");
    CHECK_INT(p.mode, 0);
    CHECK_INT(p.secret, 0);
}

static void test_defaults_bad_default(void)
{
    struct params p;
    static const struct vp_opt bad[] = {
        {"threads", VP_OPT_INT, P(threads), "100", 1, 64, NULL, NULL, false},
        VP_OPT_END,
    };
    struct vp_err err = {0};
    CHECK_INT(vp_opt_defaults(bad, &p, &err), -EINVAL);
    CHECK_INT(err.kind, VP_ERR_INPUT);
    CHECK(contains(err.msg, "out of range"));
}

static void test_find(void)
{
    CHECK(vp_opt_find(popts, "threads") == &popts[1]);
    CHECK(vp_opt_find(popts, "secret") == &popts[7]);
    CHECK(vp_opt_find(popts, "thread") == NULL);
    CHECK(vp_opt_find(popts, "") == NULL);
    CHECK(vp_opt_find(NULL, "threads") == NULL);
}

static void test_parse_forms(void)
{
    struct params p;
    struct common c = {0};
    struct vp_err err;
    fresh(&p, &err);
    CHECK_INT(vp_opt_defaults(copts, &c, &err), 0);
    char *pos[8];
    int npos = -1;
    const char *args[] = {"--threads",   "8",           "--block=64k", "--verbose",
                          "first",       "--mode",      "mixed",       "--ratio=0.25",
                          "--label",     "hello world", "--runtime",   "250ms",
                          "second",      "--repeat",    "3",           "--json",
                          "--secret=-5", NULL};
    CHECK_INT(parse(&p, &c, &err, pos, 8, &npos, args), 0);
    CHECK_INT(err.kind, VP_ERR_NONE);
    CHECK_INT(p.threads, 8);
    CHECK_INT(p.block, 65536);
    CHECK(p.verbose == true);
    CHECK_INT(p.mode, 2);
    CHECK(p.ratio == 0.25);
    CHECK_STR(p.label, "hello world");
    CHECK_INT(p.runtime, 250000000);
    CHECK_INT(p.secret, -5); /* hidden options still parse */
    CHECK_INT(c.repeat, 3);  /* found in the second set */
    CHECK(c.json == true);
    CHECK_INT(npos, 2);
    if (npos == 2) {
        CHECK_STR(pos[0], "first");
        CHECK_STR(pos[1], "second");
    }
}

static void test_parse_bool(void)
{
    struct params p;
    struct common c = {0};
    struct vp_err err;
    char *pos[4];
    int npos;

    /* "--verbose" alone does not swallow the next word */
    fresh(&p, &err);
    const char *a1[] = {"--verbose", "word", NULL};
    CHECK_INT(parse(&p, &c, &err, pos, 4, &npos, a1), 0);
    CHECK(p.verbose == true);
    CHECK_INT(npos, 1);

    const char *a2[] = {"--verbose", "--verbose=false", NULL};
    CHECK_INT(parse(&p, &c, &err, pos, 4, &npos, a2), 0);
    CHECK(p.verbose == false);
    CHECK_INT(npos, 0);

    static const char *const yes[] = {"true", "yes", "1"};
    static const char *const no[] = {"false", "no", "0"};
    for (int i = 0; i < 3; i++) {
        p.verbose = false;
        CHECK_INT(vp_opt_set(popts, &p, "verbose", yes[i], &err), 0);
        CHECK(p.verbose == true);
        CHECK_INT(vp_opt_set(popts, &p, "verbose", no[i], &err), 0);
        CHECK(p.verbose == false);
    }
    memset(&err, 0, sizeof err);
    const char *a3[] = {"--verbose=maybe", NULL};
    CHECK_INT(parse(&p, &c, &err, pos, 4, &npos, a3), -EINVAL);
    CHECK_INT(err.kind, VP_ERR_INPUT);
    CHECK(contains(err.msg, "--verbose maybe"));
}

static void test_parse_double_dash(void)
{
    struct params p;
    struct common c = {0};
    struct vp_err err;
    fresh(&p, &err);
    char *pos[8];
    int npos;
    const char *args[] = {"a", "--threads", "2", "--", "--threads", "9", "-x", "-", NULL};
    CHECK_INT(parse(&p, &c, &err, pos, 8, &npos, args), 0);
    CHECK_INT(p.threads, 2);
    CHECK_INT(npos, 5);
    if (npos == 5) {
        CHECK_STR(pos[0], "a");
        CHECK_STR(pos[1], "--threads");
        CHECK_STR(pos[2], "9");
        CHECK_STR(pos[3], "-x");
        CHECK_STR(pos[4], "-");
    }

    /* a lone "-" is a word (stdin), not an option */
    const char *a2[] = {"-", NULL};
    CHECK_INT(parse(&p, &c, &err, pos, 8, &npos, a2), 0);
    CHECK_INT(npos, 1);
}

static void test_parse_too_many_positionals(void)
{
    struct params p;
    struct common c = {0};
    struct vp_err err;
    fresh(&p, &err);
    char *pos[2];
    int npos;
    const char *args[] = {"a", "b", "c", NULL};
    CHECK_INT(parse(&p, &c, &err, pos, 2, &npos, args), -EINVAL);
    CHECK_INT(err.kind, VP_ERR_INPUT);
    CHECK(contains(err.msg, "\"c\""));
    CHECK(npos <= 2);
}

/* Parse one argument list that must fail; return the message. */
static const char *parse_fail(const char **args, struct vp_err *err)
{
    struct params p;
    struct common c = {0};
    fresh(&p, err);
    char *pos[4];
    int npos;
    int rc = parse(&p, &c, err, pos, 4, &npos, args);
    CHECK(rc < 0);
    CHECK_INT(err->kind, VP_ERR_INPUT);
    return err->msg;
}

static void test_parse_errors(void)
{
    struct vp_err err;

    const char *unknown[] = {"--bogus", "1", NULL};
    const char *m = parse_fail(unknown, &err);
    CHECK(contains(m, "unknown option"));
    CHECK(contains(m, "--bogus"));

    const char *unknown_eq[] = {"--bogus=1", NULL};
    m = parse_fail(unknown_eq, &err);
    CHECK(contains(m, "--bogus"));
    CHECK(strstr(m, "=1") == NULL); /* the name alone, not the value */

    const char *missing[] = {"--threads", NULL};
    m = parse_fail(missing, &err);
    CHECK(contains(m, "--threads"));
    CHECK(contains(m, "needs a value"));

    const char *range_hi[] = {"--threads", "65", NULL};
    CHECK_STR(parse_fail(range_hi, &err), "--threads 65: out of range (1 to 64)");
    const char *range_lo[] = {"--threads=0", NULL};
    CHECK(contains(parse_fail(range_lo, &err), "out of range"));
    const char *range_neg[] = {"--threads", "-1", NULL};
    CHECK(contains(parse_fail(range_neg, &err), "out of range"));
    const char *size_lo[] = {"--block", "256", NULL};
    CHECK_STR(parse_fail(size_lo, &err), "--block 256: out of range (512 B to 1 GiB)");
    const char *size_hi[] = {"--block=1.5G", NULL};
    CHECK(contains(parse_fail(size_hi, &err), "out of range"));
    const char *dbl_hi[] = {"--ratio", "1.01", NULL};
    CHECK(contains(parse_fail(dbl_hi, &err), "out of range"));

    const char *bad_enum[] = {"--mode", "fast", NULL};
    m = parse_fail(bad_enum, &err);
    CHECK(contains(m, "fast"));
    CHECK(contains(m, "read, write, mixed"));

    char longstr[VP_STR_MAX + 1];
    memset(longstr, 'x', VP_STR_MAX);
    longstr[VP_STR_MAX] = '\0'; /* VP_STR_MAX characters: one too many */
    const char *too_long[] = {"--label", longstr, NULL};
    m = parse_fail(too_long, &err);
    CHECK(contains(m, "--label"));
    CHECK(contains(m, "longer than 255"));

    const char *single_dash[] = {"-t", "4", NULL};
    m = parse_fail(single_dash, &err);
    CHECK(contains(m, "-t"));
    CHECK(contains(m, "--name"));

    const char *no_name[] = {"--=4", NULL};
    CHECK(contains(parse_fail(no_name, &err), "malformed"));

    const char *not_int[] = {"--threads", "abc", NULL};
    CHECK(contains(parse_fail(not_int, &err), "not a whole number"));
    const char *half_int[] = {"--threads", "4.5", NULL};
    CHECK(contains(parse_fail(half_int, &err), "not a whole number"));
    const char *empty_int[] = {"--threads=", NULL};
    CHECK(contains(parse_fail(empty_int, &err), "not a whole number"));
    const char *huge_int[] = {"--secret", "99999999999999999999", NULL};
    CHECK(contains(parse_fail(huge_int, &err), "not a whole number"));

    const char *bad_size[] = {"--block", "4X", NULL};
    CHECK(contains(parse_fail(bad_size, &err), "not a size"));
    const char *huge_size[] = {"--block", "99999999999T", NULL};
    CHECK(contains(parse_fail(huge_size, &err), "too large"));
    const char *bad_dur[] = {"--runtime", "10 parsecs", NULL};
    CHECK(contains(parse_fail(bad_dur, &err), "not a duration"));
    const char *nan_dbl[] = {"--ratio", "nan", NULL};
    CHECK(contains(parse_fail(nan_dbl, &err), "not a number"));
    const char *junk_dbl[] = {"--ratio", "0.5x", NULL};
    CHECK(contains(parse_fail(junk_dbl, &err), "not a number"));
}

static void test_parse_bounds_inclusive(void)
{
    struct params p;
    struct common c = {0};
    struct vp_err err;
    fresh(&p, &err);
    char *pos[4];
    int npos;
    const char *lo[] = {"--threads", "1", "--block", "512", "--ratio", "0", NULL};
    CHECK_INT(parse(&p, &c, &err, pos, 4, &npos, lo), 0);
    CHECK_INT(p.threads, 1);
    CHECK_INT(p.block, 512);
    CHECK(p.ratio == 0.0);
    const char *hi[] = {"--threads", "64", "--block", "1G", "--ratio", "1", NULL};
    CHECK_INT(parse(&p, &c, &err, pos, 4, &npos, hi), 0);
    CHECK_INT(p.threads, 64);
    CHECK_INT(p.block, 1073741824);
    CHECK(p.ratio == 1.0);

    /* exactly VP_STR_MAX-1 characters fit */
    char s[VP_STR_MAX];
    memset(s, 'y', VP_STR_MAX - 1);
    s[VP_STR_MAX - 1] = '\0';
    CHECK_INT(vp_opt_set(popts, &p, "label", s, &err), 0);
    CHECK_STR(p.label, s);
}

static void test_set(void)
{
    struct params p;
    struct vp_err err;
    fresh(&p, &err);
    CHECK_INT(vp_opt_set(popts, &p, "mode", "read", &err), 0);
    CHECK_INT(p.mode, 0);
    CHECK_INT(vp_opt_set(popts, &p, "nope", "1", &err), -ENOENT);
    CHECK_INT(err.kind, VP_ERR_INPUT);
    CHECK(contains(err.msg, "--nope"));
    /* a failed set leaves the field alone */
    CHECK_INT(vp_opt_set(popts, &p, "threads", "999", &err), -EINVAL);
    CHECK_INT(p.threads, 4);
    CHECK_INT(vp_opt_set(popts, &p, "mode", "READ", &err), -EINVAL);
    CHECK_INT(p.mode, 0);
}

static void test_apply_list(void)
{
    struct params p;
    struct vp_err err;
    fresh(&p, &err);
    CHECK_INT(vp_opt_apply_list(popts, &p, "threads=2,block=8k,mode=read,verbose=yes", &err), 0);
    CHECK_INT(p.threads, 2);
    CHECK_INT(p.block, 8192);
    CHECK_INT(p.mode, 0);
    CHECK(p.verbose == true);
    CHECK_INT(err.kind, VP_ERR_NONE);

    CHECK_INT(vp_opt_apply_list(popts, &p, "label=a=b", &err), 0); /* first '=' splits */
    CHECK_STR(p.label, "a=b");
    CHECK_INT(vp_opt_apply_list(popts, &p, "", &err), 0);
    CHECK_INT(p.threads, 2);

    /* the list itself is not modified */
    char list[] = "threads=3,ratio=0.75";
    CHECK_INT(vp_opt_apply_list(popts, &p, list, &err), 0);
    CHECK_STR(list, "threads=3,ratio=0.75");
    CHECK_INT(p.threads, 3);
    CHECK(p.ratio == 0.75);

    memset(&err, 0, sizeof err);
    CHECK_INT(vp_opt_apply_list(popts, &p, "threads=2,mode", &err), -EINVAL);
    CHECK_INT(err.kind, VP_ERR_INPUT);
    CHECK(contains(err.msg, "\"mode\""));
    CHECK(contains(err.msg, "name=value"));

    memset(&err, 0, sizeof err);
    CHECK_INT(vp_opt_apply_list(popts, &p, "bogus=1", &err), -ENOENT);
    CHECK(contains(err.msg, "--bogus"));

    memset(&err, 0, sizeof err);
    CHECK(vp_opt_apply_list(popts, &p, "=1", &err) < 0);
    CHECK_INT(err.kind, VP_ERR_INPUT);

    memset(&err, 0, sizeof err);
    CHECK_INT(vp_opt_apply_list(popts, &p, "threads=100", &err), -EINVAL);
    CHECK(contains(err.msg, "out of range"));

    char huge[2000];
    memset(huge, 'a', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    memset(&err, 0, sizeof err);
    CHECK_INT(vp_opt_apply_list(popts, &p, huge, &err), -EINVAL);
    CHECK(contains(err.msg, "too long"));
}

static void test_format(void)
{
    struct params p;
    struct vp_err err;
    char buf[VP_STR_MAX + 16];
    fresh(&p, &err);
    vp_opt_format(&popts[0], &p, buf, sizeof buf);
    CHECK_STR(buf, "false");
    vp_opt_format(&popts[1], &p, buf, sizeof buf);
    CHECK_STR(buf, "4");
    vp_opt_format(&popts[2], &p, buf, sizeof buf);
    CHECK_STR(buf, "4096");
    vp_opt_format(&popts[3], &p, buf, sizeof buf);
    CHECK_STR(buf, "10000000000ns");
    vp_opt_format(&popts[4], &p, buf, sizeof buf);
    CHECK_STR(buf, "0.5");
    vp_opt_format(&popts[5], &p, buf, sizeof buf);
    CHECK_STR(buf, "run");
    vp_opt_format(&popts[6], &p, buf, sizeof buf);
    CHECK_STR(buf, "write");
    vp_opt_format(&popts[7], &p, buf, sizeof buf);
    CHECK_STR(buf, "7");
    p.secret = INT64_MIN;
    vp_opt_format(&popts[7], &p, buf, sizeof buf);
    CHECK_STR(buf, "-9223372036854775808");
}

/* Format every option and set it back into a fresh struct: same value. */
static void round_trip(const struct params *src)
{
    struct params dst;
    struct vp_err err;
    fresh(&dst, &err);
    for (const struct vp_opt *o = popts; o->name; o++) {
        char buf[VP_STR_MAX + 16];
        vp_opt_format(o, src, buf, sizeof buf);
        int rc = vp_opt_set(popts, &dst, o->name, buf, &err);
        CHECK_INT(rc, 0);
        if (rc < 0)
            fprintf(stderr, "  --%s %s: %s\n", o->name, buf, err.msg);
    }
    CHECK(dst.verbose == src->verbose);
    CHECK_INT(dst.threads, src->threads);
    CHECK(dst.block == src->block);
    CHECK(dst.runtime == src->runtime);
    CHECK(memcmp(&dst.ratio, &src->ratio, sizeof dst.ratio) == 0);
    if (dst.ratio != src->ratio)
        fprintf(stderr, "  ratio %.17g came back as %.17g\n", src->ratio, dst.ratio);
    CHECK_STR(dst.label, src->label);
    CHECK_INT(dst.mode, src->mode);
    CHECK_INT(dst.secret, src->secret);
}

static void test_format_round_trip(void)
{
    struct params p;
    struct vp_err err;
    fresh(&p, &err);
    round_trip(&p);

    p.verbose = true;
    p.threads = 64;
    p.block = 1536;
    p.runtime = 1;       /* 1 ns */
    p.ratio = 0.1 + 0.2; /* 0.30000000000000004: needs 17 digits */
    strcpy(p.label, "with spaces, commas=and \"quotes\"");
    p.mode = 2;
    p.secret = INT64_MAX;
    round_trip(&p);

    p.ratio = 1.0 / 3.0;
    p.runtime = 18446744073709549568ULL;
    p.block = 1073741824;
    p.secret = -42;
    round_trip(&p);

    p.ratio = 2.2250738585072014e-308; /* smallest normal double */
    round_trip(&p);
}

static char *help_text(const struct vp_opt *opts)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CHECK(f != NULL);
    if (f == NULL)
        return strdup("");
    vp_opt_print_help(f, opts);
    fclose(f);
    return text;
}

static void test_help(void)
{
    char *h = help_text(popts);
    CHECK(contains(h, "  --verbose              say more\n"));
    CHECK(contains(h, "  --threads N            worker threads [default 4]\n"));
    CHECK(contains(h, "  --block SIZE           block size [default 4k]\n"));
    CHECK(contains(h, "  --runtime TIME         how long [default 10s]\n"));
    CHECK(contains(h, "  --ratio X              read share [default 0.5]\n"));
    CHECK(contains(h, "  --label TEXT           a name [default run]\n"));
    CHECK(contains(h, "  --mode WORD            access pattern (read | write | mixed) "
                      "[default write]\n"));
    CHECK(strstr(h, "secret") == NULL);
    CHECK(strstr(h, "test hook") == NULL);

    /* one line per visible option, in table order */
    int lines = 0;
    for (const char *c = h; *c; c++)
        lines += *c == '\n';
    CHECK_INT(lines, 7);
    const char *v = strstr(h, "--verbose"), *t = strstr(h, "--threads"), *md = strstr(h, "--mode");
    CHECK(v && t && md && v < t && t < md);
    free(h);

    /* the second table; a bool's default is not shown */
    h = help_text(copts);
    CHECK(contains(h, "--repeat N"));
    CHECK(contains(h, "[default 1]"));
    CHECK(strstr(h, "[default false]") == NULL);
    free(h);

    h = help_text(NULL);
    CHECK_STR(h, "");
    free(h);
}

/* Paths and outputs are made absolute against the working directory when
 * set (so a process that runs elsewhere, in an appliance, finds them). */
struct files {
    char in[VP_STR_MAX], out[VP_STR_MAX];
};
static const struct vp_opt fopts[] = {
    {"key-file", VP_OPT_PATH, offsetof(struct files, in), NULL, 0, 0, NULL, "read", false},
    {"log", VP_OPT_OUTPUT, offsetof(struct files, out), "/var/tmp", 0, 0, NULL, "written", false},
    VP_OPT_END,
};

static void test_paths(void)
{
    struct files f;
    struct vp_err err = {0};
    char cwd[PATH_MAX], want[PATH_MAX + 64], out[VP_STR_MAX];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    CHECK_INT(vp_opt_defaults(fopts, &f, &err), 0);
    CHECK_STR(f.in, "");
    CHECK_STR(f.out, "/var/tmp");
    CHECK_INT(vp_opt_set(fopts, &f, "key-file", "keys/k.txt", &err), 0);
    snprintf(want, sizeof want, "%s/keys/k.txt", cwd);
    CHECK_STR(f.in, want);
    CHECK_INT(vp_opt_set(fopts, &f, "log", "./a/./b.log", &err), 0);
    snprintf(want, sizeof want, "%s/a/b.log", cwd);
    CHECK_STR(f.out, want);
    CHECK_INT(vp_opt_set(fopts, &f, "log", "/abs/x", &err), 0);
    CHECK_STR(f.out, "/abs/x");
    CHECK_INT(vp_opt_set(fopts, &f, "log", "-", &err), 0); /* standard output */
    CHECK_STR(f.out, "-");
    CHECK_INT(vp_path_absolute(".", out, sizeof out), 0);
    CHECK_STR(out, cwd);
    CHECK_INT(vp_path_absolute("x", out, 2), -ENAMETOOLONG);
    char longer[VP_STR_MAX];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    CHECK_INT(vp_opt_set(fopts, &f, "log", longer, &err), -EINVAL);
    CHECK(strstr(err.msg, "--log") && strstr(err.msg, "longer than"));
    CHECK(chdir("/") == 0);
    CHECK_INT(vp_path_absolute("etc/x", out, sizeof out), 0);
    CHECK_STR(out, "/etc/x");
    CHECK(chdir(cwd) == 0);
}

int main(void)
{
    RUN(test_defaults);
    RUN(test_defaults_null_is_zero);
    RUN(test_defaults_bad_default);
    RUN(test_find);
    RUN(test_parse_forms);
    RUN(test_parse_bool);
    RUN(test_parse_double_dash);
    RUN(test_parse_too_many_positionals);
    RUN(test_parse_errors);
    RUN(test_parse_bounds_inclusive);
    RUN(test_set);
    RUN(test_apply_list);
    RUN(test_format);
    RUN(test_format_round_trip);
    RUN(test_help);
    RUN(test_paths);
    return CHECK_DONE();
}
