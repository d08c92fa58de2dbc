/* SIP message layer: the corpus (valid and broken messages with their cause),
 * truncations and byte flips that must never crash, the builder, and
 * transaction matching. */
#include <stdint.h>

#include "check.h"
#include "sip/msg.h"
#include "sip_corpus.h"

static struct corpus_file *files;
static int nfiles;

static const struct corpus_file *find(const char *name)
{
    for (int i = 0; i < nfiles; i++)
        if (strcmp(files[i].name, name) == 0)
            return &files[i];
    fprintf(stderr, "corpus file %s missing\n", name);
    return NULL;
}

static int eq(struct vp_sip_str s, const char *c)
{
    return s.len == strlen(c) && memcmp(s.p, c, s.len) == 0;
}

static void test_corpus_causes(void)
{
    CHECK(nfiles >= 25);
    for (int i = 0; i < nfiles; i++) {
        struct vp_sip_msg m;
        enum vp_sip_perr e = vp_sip_parse(files[i].data, files[i].len, &m);
        if (files[i].valid) {
            if (e != VP_SIP_OK)
                fprintf(stderr, "%s: rejected (%s)\n", files[i].name, vp_sip_perr_name(e));
            CHECK(e == VP_SIP_OK);
        } else {
            const char *want = files[i].name;
            size_t wl = strcspn(want, "_");
            if (strlen(vp_sip_perr_name(e)) != wl || strncmp(vp_sip_perr_name(e), want, wl))
                fprintf(stderr, "%s: got %s\n", files[i].name, vp_sip_perr_name(e));
            CHECK(e != VP_SIP_OK && strncmp(vp_sip_perr_name(e), want, wl) == 0);
        }
    }
}

static void test_fields(void)
{
    struct vp_sip_msg m;
    const struct corpus_file *f = find("01_invite.sip");
    if (f == NULL || vp_sip_parse(f->data, f->len, &m) != VP_SIP_OK) {
        CHECK(0);
        return;
    }
    CHECK(m.is_request);
    CHECK(eq(m.method, "INVITE"));
    CHECK(eq(m.uri, "sip:bob@127.0.0.1:5060"));
    CHECK_INT(m.cseq, 314159);
    CHECK(eq(m.call_id, "a84b4c76e66710@pc33.example.com"));
    CHECK(eq(m.branch, "z9hG4bK-abc-1"));
    CHECK(eq(m.from_tag, "1928301774"));
    CHECK_INT(m.to_tag.len, 0);
    CHECK_INT(m.body.len, m.content_length);
    CHECK(m.body.len > 20 && m.body.p[0] == 'v');

    f = find("02_compact.sip");
    CHECK(f && vp_sip_parse(f->data, f->len, &m) == VP_SIP_OK);
    CHECK(eq(m.call_id, "compact-1@host"));
    CHECK(eq(m.contact, "<sip:alice@127.0.0.1:5070>"));
    CHECK_INT(m.content_length, 0);
    CHECK(eq(m.from_tag, "77"));

    f = find("03_multi_via.sip");
    CHECK(f && vp_sip_parse(f->data, f->len, &m) == VP_SIP_OK);
    CHECK_INT(m.status, 200);
    CHECK_INT(m.nvia, 3);
    CHECK(eq(m.branch, "z9hG4bK-p1"));
    CHECK(eq(m.via[2], "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-u1;received=127.0.0.1"));
    CHECK_INT(m.nrr, 2);
    CHECK(eq(m.rr[1], "<sip:10.0.0.2;lr>"));
    CHECK(eq(m.to_tag, "2"));

    f = find("04_folding.sip");
    CHECK(f && vp_sip_parse(f->data, f->len, &m) == VP_SIP_OK);
    CHECK_INT(m.nvia, 2);
    CHECK(eq(m.from_tag, "fold"));
    CHECK(eq(m.cseq_method, "BYE"));
    CHECK_INT(m.cseq, 2);

    f = find("08_lf_only.sip");
    CHECK(f && vp_sip_parse(f->data, f->len, &m) == VP_SIP_OK);
    CHECK(eq(m.method, "OPTIONS"));
    CHECK_INT(m.cseq, 7);

    f = find("09_no_clen.sip");
    CHECK(f && vp_sip_parse(f->data, f->len, &m) == VP_SIP_OK);
    CHECK_INT(m.content_length, -1);
    CHECK_INT(m.body.len, 0);
}

/* Every prefix and many byte flips of every file: a cause or OK, no crash. */
static void test_truncation_and_flips(void)
{
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < nfiles; i++) {
        for (size_t n = 0; n <= files[i].len; n++) {
            char *b = malloc(n ? n : 1);
            memcpy(b, files[i].data, n);
            struct vp_sip_msg m;
            enum vp_sip_perr e = vp_sip_parse(b, n, &m);
            CHECK((unsigned)e < VP_SIP_E_COUNT);
            if (e == VP_SIP_OK)
                CHECK(m.body.p + m.body.len <= b + n);
            free(b);
        }
        char *b = malloc(files[i].len + 1);
        for (int k = 0; k < 300; k++) {
            memcpy(b, files[i].data, files[i].len);
            for (int j = 0; j < 3 && files[i].len; j++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                b[x % files[i].len] = (char)(x >> 32);
            }
            struct vp_sip_msg m;
            CHECK((unsigned)vp_sip_parse(b, files[i].len, &m) < VP_SIP_E_COUNT);
        }
        free(b);
    }
}

static void test_build_response(void)
{
    const struct corpus_file *f = find("01_invite.sip");
    struct vp_sip_msg req, resp;
    if (f == NULL || vp_sip_parse(f->data, f->len, &req) != VP_SIP_OK) {
        CHECK(0);
        return;
    }
    char mem[2048];
    struct vp_sip_buf b;
    vp_sip_buf_init(&b, mem, sizeof mem);
    CHECK_INT(vp_sip_build_response(&b, &req, 200, "OK", "t42", "<sip:uas@127.0.0.1>"), 0);
    CHECK(vp_sip_parse(b.p, b.len, &resp) == VP_SIP_OK);
    CHECK(!resp.is_request);
    CHECK_INT(resp.status, 200);
    CHECK(eq(resp.to_tag, "t42"));
    CHECK(eq(resp.call_id, "a84b4c76e66710@pc33.example.com"));
    CHECK_INT(resp.nvia, req.nvia);
    CHECK(vp_sip_txn_match(&resp, req.branch, "INVITE"));
    CHECK(!vp_sip_txn_match(&resp, req.branch, "BYE"));
    struct vp_sip_str other = {"z9hG4bK-abc-2", 13};
    CHECK(!vp_sip_txn_match(&resp, other, "INVITE"));
    /* too small a buffer: -ENOSPC, never an overrun */
    char tiny[40];
    vp_sip_buf_init(&b, tiny, sizeof tiny);
    CHECK(vp_sip_build_response(&b, &req, 100, "Trying", NULL, NULL) < 0);
    CHECK(b.len <= sizeof tiny);
    vp_sip_buf_init(&b, mem, sizeof mem);
    vp_sip_put_hex(&b, 0xbeef);
    vp_sip_put_u64(&b, 0);
    vp_sip_put_u64(&b, 18446744073709551615ull);
    CHECK(b.len == 4 + 1 + 20 && memcmp(mem, "beef018446744073709551615", 25) == 0);
}

int main(void)
{
    const char *dir = getenv("SIP_CORPUS");
    nfiles = corpus_load(dir ? dir : "tests/data/sip", &files);
    RUN(test_corpus_causes);
    RUN(test_fields);
    RUN(test_truncation_and_flips);
    RUN(test_build_response);
    corpus_free(files, nfiles);
    return CHECK_DONE();
}
