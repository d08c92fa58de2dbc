/* The streaming JSON writer (core/json): exact text, escaping, options; its
 * CSV rendering; and the command document built on it (core/doc). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/doc.h"
#include "core/json.h"

/* A memstream and the writer on it; done() closes it and returns the text. */
struct doc {
    char *text;
    size_t len;
    FILE *f;
    struct vp_json j;
};

static void start(struct doc *d)
{
    d->text = NULL;
    d->len = 0;
    d->f = open_memstream(&d->text, &d->len);
    CHECK(d->f != NULL);
    if (d->f == NULL)
        abort();
    vp_json_init(&d->j, d->f);
}

static char *done(struct doc *d)
{
    fclose(d->f);
    return d->text;
}

/* Compare and, on a mismatch, show where the texts part. */
static void check_text(const char *got, const char *want)
{
    CHECK_STR(got, want);
    if (strcmp(got, want) != 0) {
        size_t i = 0;
        while (got[i] && got[i] == want[i])
            i++;
        fprintf(stderr, "  first difference at byte %zu:\n  got:  ...%.40s\n  want: ...%.40s\n", i,
                got + i, want + i);
    }
}

static char *quoted(const char *s)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    vp_json_quote(f, s);
    fclose(f);
    return text;
}

static void test_quote(void)
{
    char *q;
    q = quoted("plain");
    CHECK_STR(q, "\"plain\"");
    free(q);
    q = quoted("");
    CHECK_STR(q, "\"\"");
    free(q);
    q = quoted("a\"b\\c/d");
    CHECK_STR(q, "\"a\\\"b\\\\c/d\"");
    free(q);
    q = quoted("\n\r\t");
    CHECK_STR(q, "\"\\n\\r\\t\"");
    free(q);
    q = quoted("\x01\x08\x0c\x1f x\x7f");
    CHECK_STR(q, "\"\\u0001\\u0008\\u000c\\u001f x\x7f\"");
    free(q);
    q = quoted("π ≈ 3.14 😀"); /* UTF-8 passes through byte for byte */
    CHECK_STR(q, "\"π ≈ 3.14 😀\"");
    free(q);
}

static void test_document(void)
{
    struct doc d;
    start(&d);
    struct vp_json *j = &d.j;
    vp_json_object_begin(j, NULL);
    vp_json_string(j, "str", "say \"hi\"\\ then\nnewline\x01 π");
    vp_json_string(j, "k\"ey", "v");
    vp_json_int(j, "int", 42);
    vp_json_int(j, "neg", -7);
    vp_json_int(j, "min", INT64_MIN);
    vp_json_int(j, "max", INT64_MAX);
    vp_json_double(j, "dbl", 0.1);
    vp_json_double(j, "half", 1.5);
    vp_json_double(j, "whole", 2.0);
    vp_json_double(j, "big", 1e300);
    vp_json_double(j, "tiny", -2.5e-10);
    vp_json_double(j, "nan", NAN);
    vp_json_double(j, "inf", INFINITY);
    vp_json_double(j, "ninf", -INFINITY);
    vp_json_bool(j, "yes", true);
    vp_json_bool(j, "no", false);
    vp_json_null(j, "nil");
    vp_json_string(j, "nullstr", NULL);
    vp_json_array_begin(j, "empty_a");
    vp_json_array_end(j);
    vp_json_object_begin(j, "empty_o");
    vp_json_object_end(j);
    vp_json_array_begin(j, "runs");
    vp_json_object_begin(j, NULL);
    vp_json_int(j, "id", 1);
    vp_json_string(j, "name", "a");
    vp_json_object_end(j);
    vp_json_object_begin(j, NULL);
    vp_json_int(j, "id", 2);
    vp_json_object_end(j);
    vp_json_object_begin(j, NULL);
    vp_json_object_end(j);
    vp_json_array_end(j);
    vp_json_array_begin(j, "nested");
    vp_json_array_begin(j, NULL);
    vp_json_int(j, NULL, 1);
    vp_json_double(j, NULL, 2.25);
    vp_json_array_end(j);
    vp_json_array_begin(j, NULL);
    vp_json_array_end(j);
    vp_json_array_begin(j, NULL);
    vp_json_array_begin(j, NULL);
    vp_json_string(j, NULL, "deep");
    vp_json_null(j, NULL);
    vp_json_array_end(j);
    vp_json_array_end(j);
    vp_json_array_end(j);
    vp_json_string(j, "last", "");
    vp_json_object_end(j);
    vp_json_finish(j);
    char *text = done(&d);

    const char *want = "{\n"
                       "  \"str\": \"say \\\"hi\\\"\\\\ then\\nnewline\\u0001 π\",\n"
                       "  \"k\\\"ey\": \"v\",\n"
                       "  \"int\": 42,\n"
                       "  \"neg\": -7,\n"
                       "  \"min\": -9223372036854775808,\n"
                       "  \"max\": 9223372036854775807,\n"
                       "  \"dbl\": 0.10000000000000001,\n"
                       "  \"half\": 1.5,\n"
                       "  \"whole\": 2,\n"
                       "  \"big\": 1.0000000000000001e+300,\n"
                       "  \"tiny\": -2.5000000000000002e-10,\n"
                       "  \"nan\": null,\n"
                       "  \"inf\": null,\n"
                       "  \"ninf\": null,\n"
                       "  \"yes\": true,\n"
                       "  \"no\": false,\n"
                       "  \"nil\": null,\n"
                       "  \"nullstr\": null,\n"
                       "  \"empty_a\": [],\n"
                       "  \"empty_o\": {},\n"
                       "  \"runs\": [\n"
                       "    {\n"
                       "      \"id\": 1,\n"
                       "      \"name\": \"a\"\n"
                       "    },\n"
                       "    {\n"
                       "      \"id\": 2\n"
                       "    },\n"
                       "    {}\n"
                       "  ],\n"
                       "  \"nested\": [\n"
                       "    [\n"
                       "      1,\n"
                       "      2.25\n"
                       "    ],\n"
                       "    [],\n"
                       "    [\n"
                       "      [\n"
                       "        \"deep\",\n"
                       "        null\n"
                       "      ]\n"
                       "    ]\n"
                       "  ],\n"
                       "  \"last\": \"\"\n"
                       "}\n";
    check_text(text, want);
    free(text);
}

static void test_doubles_round_trip(void)
{
    /* what is written reads back as the same double */
    static const double vals[] = {0.1,
                                  1.0 / 3.0,
                                  2.0 / 3.0,
                                  1e-300,
                                  5e-324,
                                  1.7976931348623157e308,
                                  123456789.123456789,
                                  -0.0,
                                  0.30000000000000004};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        struct doc d;
        start(&d);
        vp_json_double(&d.j, NULL, vals[i]);
        char *text = done(&d);
        double back = strtod(text, NULL);
        CHECK(memcmp(&back, &vals[i], sizeof back) == 0);
        CHECK(strchr(text, ',') == NULL); /* no locale decimal comma */
        free(text);
    }
}

static void test_top_level(void)
{
    struct doc d;
    start(&d);
    vp_json_array_begin(&d.j, NULL);
    vp_json_int(&d.j, NULL, 1);
    vp_json_array_end(&d.j);
    vp_json_finish(&d.j);
    char *text = done(&d);
    check_text(text, "[\n  1\n]\n");
    free(text);

    start(&d);
    vp_json_object_begin(&d.j, NULL);
    vp_json_object_end(&d.j);
    vp_json_finish(&d.j);
    text = done(&d);
    check_text(text, "{}\n");
    free(text);

    start(&d);
    vp_json_string(&d.j, NULL, "alone");
    vp_json_finish(&d.j);
    text = done(&d);
    check_text(text, "\"alone\"\n");
    free(text);
}

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
    {"block", VP_OPT_SIZE, P(block), "4k", 0, 0, NULL, "block size", false},
    {"runtime", VP_OPT_DURATION, P(runtime), "10ms", 0, 0, NULL, "how long", false},
    {"ratio", VP_OPT_DOUBLE, P(ratio), "0.5", 0, 0, NULL, "read share", false},
    {"label", VP_OPT_STRING, P(label), "run", 0, 0, NULL, "a name", false},
    {"mode", VP_OPT_ENUM, P(mode), "write", 0, 0, modes, "access pattern", false},
    {"secret", VP_OPT_INT, P(secret), "-7", 0, 0, NULL, "test hook", true},
    VP_OPT_END,
};

static void test_options(void)
{
    struct params p;
    struct vp_err err = {0};
    memset(&p, 0xAA, sizeof p);
    CHECK_INT(vp_opt_defaults(popts, &p, &err), 0);

    struct doc d;
    start(&d);
    vp_json_object_begin(&d.j, NULL);
    vp_json_string(&d.j, "workload", "pi");
    vp_json_options(&d.j, "params", popts, &p);
    vp_json_object_end(&d.j);
    vp_json_finish(&d.j);
    char *text = done(&d);
    check_text(text, "{\n"
                     "  \"workload\": \"pi\",\n"
                     "  \"params\": {\n"
                     "    \"verbose\": false,\n"
                     "    \"threads\": 4,\n"
                     "    \"block\": 4096,\n"
                     "    \"runtime\": 0.01,\n"
                     "    \"ratio\": 0.5,\n"
                     "    \"label\": \"run\",\n"
                     "    \"mode\": \"write\",\n"
                     "    \"secret\": -7\n"
                     "  }\n"
                     "}\n");
    free(text);

    CHECK_INT(vp_opt_apply_list(popts, &p,
                                "verbose=true,threads=16,block=2GiB,runtime=1.5s,ratio=0.1,"
                                "mode=mixed,label=a \"q\"",
                                &err),
              0);
    start(&d);
    vp_json_options(&d.j, NULL, popts, &p);
    vp_json_finish(&d.j);
    text = done(&d);
    check_text(text, "{\n"
                     "  \"verbose\": true,\n"
                     "  \"threads\": 16,\n"
                     "  \"block\": 2147483648,\n"
                     "  \"runtime\": 1.5,\n"
                     "  \"ratio\": 0.10000000000000001,\n"
                     "  \"label\": \"a \\\"q\\\"\",\n"
                     "  \"mode\": \"mixed\",\n"
                     "  \"secret\": -7\n"
                     "}\n");
    free(text);

    /* an empty table is an empty object */
    static const struct vp_opt none[] = {VP_OPT_END};
    start(&d);
    vp_json_options(&d.j, NULL, none, &p);
    vp_json_finish(&d.j);
    text = done(&d);
    check_text(text, "{}\n");
    free(text);
}

/* A row as the commands write one: scalars, a nested object, an array. */
static void row(struct vp_json *j, int64_t n, const char *name, double x)
{
    vp_json_object_begin(j, NULL);
    vp_json_int(j, "n", n);
    vp_json_string(j, "name", name);
    vp_json_double(j, "x", x);
    vp_json_bool(j, "ok", n % 2 == 0);
    vp_json_null(j, "none");
    vp_json_object_begin(j, "up");
    vp_json_int(j, "sent", 10 * n);
    vp_json_object_begin(j, "hist");
    vp_json_double(j, "p50", 0.25);
    vp_json_object_end(j);
    vp_json_object_end(j);
    vp_json_array_begin(j, "per");
    vp_json_int(j, NULL, n);
    vp_json_int(j, NULL, n + 1);
    vp_json_array_end(j);
    vp_json_object_begin(j, "empty");
    vp_json_object_end(j);
    vp_json_raw(j, "params", "{\"a\":1,\"b\":2}");
    vp_json_object_end(j);
}

static void test_csv(void)
{
    struct doc d;
    start(&d);
    vp_json_init_csv(&d.j, d.f);
    vp_json_int(&d.j, "outside", 1); /* not in a row: left out */
    vp_json_array_begin(&d.j, "rows");
    row(&d.j, 1, "plain", 0.1);
    row(&d.j, 2, "a, \"quoted\"\nname", NAN);
    vp_json_array_end(&d.j);
    vp_json_finish(&d.j);
    char *text = done(&d);
    check_text(text,
               "n,name,x,ok,none,up.sent,up.hist.p50,per.0,per.1,params\n"
               "1,plain,0.1,false,,10,0.25,1,2,\"{\"\"a\"\":1,\"\"b\"\":2}\"\n"
               "2,\"a, \"\"quoted\"\"\nname\",,true,,20,0.25,2,3,\"{\"\"a\"\":1,\"\"b\"\":2}\"\n");
    free(text);

    /* a muted writer writes nothing, in either form */
    start(&d);
    vp_json_mute(&d.j, true);
    vp_json_object_begin(&d.j, NULL);
    vp_json_int(&d.j, "n", 1);
    vp_json_object_end(&d.j);
    vp_json_mute(&d.j, false);
    vp_json_int(&d.j, NULL, 2);
    vp_json_finish(&d.j);
    text = done(&d);
    check_text(text, "2\n");
    free(text);
}

/* The document d writes for a command with two intervals. */
static char *doc_text(bool csv, bool rows, const char *error)
{
    struct doc m;
    struct vp_doc d;
    start(&m);
    vp_doc_init(&d, VP_DOC_INTERVALS, 0, NULL);
    struct vp_json *j = vp_doc_start(&d, m.f, csv);
    vp_json_string(j, "target", "t");
    if (rows) {
        j = vp_doc_rows(&d);
        for (int i = 0; i < 2; i++) {
            vp_json_object_begin(j, NULL);
            vp_json_int(j, "i", i);
            vp_json_object_end(j);
        }
    }
    j = vp_doc_end(&d);
    vp_json_int(j, "sent", 5);
    vp_doc_close(&d, error);
    vp_doc_close(&d, "twice"); /* a closed document stays as it is */
    return done(&m);
}

static void test_doc(void)
{
    char *text = doc_text(false, true, NULL);
    check_text(text, "{\n"
                     "  \"start\": {\n"
                     "    \"target\": \"t\"\n"
                     "  },\n"
                     "  \"intervals\": [\n"
                     "    {\n"
                     "      \"i\": 0\n"
                     "    },\n"
                     "    {\n"
                     "      \"i\": 1\n"
                     "    }\n"
                     "  ],\n"
                     "  \"end\": {\n"
                     "    \"sent\": 5\n"
                     "  },\n"
                     "  \"error\": null\n"
                     "}\n");
    free(text);
    /* no rows written: the section is there, empty; the error is the run's */
    text = doc_text(false, false, "lost");
    check_text(text, "{\n"
                     "  \"start\": {\n"
                     "    \"target\": \"t\"\n"
                     "  },\n"
                     "  \"intervals\": [],\n"
                     "  \"end\": {\n"
                     "    \"sent\": 5\n"
                     "  },\n"
                     "  \"error\": \"lost\"\n"
                     "}\n");
    free(text);
    /* CSV: the rows alone */
    text = doc_text(true, true, NULL);
    check_text(text, "i\n0\n1\n");
    free(text);
}

static void test_doc_fail(void)
{
    struct vp_err err = {0};
    vp_input_error(&err, "--x 3: out of range");
    struct vp_doc d;
    /* nothing asked JSON: nothing on stdout (the message goes to stderr) */
    vp_doc_init(&d, VP_DOC_ROUNDS, 0, NULL);
    CHECK_INT(vp_doc_fail(&d, false, &err), VP_EXIT_USAGE);
    CHECK_INT(d.state, VP_DOC_IDLE);
    /* --json on the command line, though the options stopped before it */
    char *argv[] = {"cmd", "--x", "3", "--json", NULL};
    vp_doc_init(&d, VP_DOC_ROUNDS, 4, argv);
    CHECK(d.asked);
    char *after[] = {"cmd", "--", "--json", NULL};
    vp_doc_init(&d, VP_DOC_ROUNDS, 3, after);
    CHECK(!d.asked);
    char *no[] = {"cmd", "--json=false", NULL};
    vp_doc_init(&d, VP_DOC_ROUNDS, 2, no);
    CHECK(!d.asked);
    /* one begun is closed with the error */
    struct doc m;
    start(&m);
    vp_doc_init(&d, VP_DOC_ROUNDS, 0, NULL);
    vp_doc_start(&d, m.f, false);
    vp_run_error(&err, 0, "peer gone");
    CHECK_INT(vp_doc_fail(&d, true, &err), VP_EXIT_FAILED);
    char *text = done(&m);
    check_text(text, "{\n"
                     "  \"start\": {},\n"
                     "  \"rounds\": [],\n"
                     "  \"end\": {},\n"
                     "  \"error\": \"peer gone\"\n"
                     "}\n");
    free(text);
    CHECK(vp_doc_error_of(&err) == err.msg);
    struct vp_err none = {0};
    CHECK(vp_doc_error_of(&none) == NULL);
}

int main(void)
{
    RUN(test_quote);
    RUN(test_document);
    RUN(test_doubles_round_trip);
    RUN(test_top_level);
    RUN(test_options);
    RUN(test_csv);
    RUN(test_doc);
    RUN(test_doc_fail);
    return CHECK_DONE();
}
