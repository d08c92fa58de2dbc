/* Differential test of the SIP parser against GNU oSIP on the corpus: both
 * must accept or reject each message alike, and for accepted ones agree on
 * method / status, Call-ID, CSeq number and method, and the number of Via
 * values. "Accepted by oSIP" means osip_message_parse succeeds and the
 * message has what a transaction needs (Via, From, To, Call-ID, CSeq whose
 * method matches a request's) — the same rule virtperf applies — and passes
 * the RFC 3261 checks oSIP leaves to its caller, applied here to the fields
 * oSIP parsed: version SIP/2.0, a status code in 100..699, a Content-Length
 * of digits no larger than the bytes after the empty line. */
#include <osipparser2/osip_parser.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "sip/msg.h"
#include "sip_corpus.h"

struct view {
    int ok, is_request, status, nvia;
    char method[32], call_id[256], cseq_method[32];
    unsigned long cseq;
};

/* Bytes after the first empty line (CRLF CRLF or LF LF) of the raw message. */
static size_t after_headers(const char *data, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (data[i] == '\n' && data[i + 1] == '\n')
            return len - i - 2;
        if (i + 3 < len && memcmp(data + i, "\r\n\r\n", 4) == 0)
            return len - i - 4;
    }
    return 0;
}

static void osip_view(const char *data, size_t len, struct view *v)
{
    memset(v, 0, sizeof *v);
    char *b = malloc(len + 1);
    memcpy(b, data, len);
    b[len] = '\0';
    osip_message_t *sip = NULL;
    if (osip_message_init(&sip) != 0) {
        free(b);
        return;
    }
    int r = osip_message_parse(sip, b, len);
    free(b);
    if (r != 0 || sip->call_id == NULL || sip->cseq == NULL || sip->cseq->method == NULL ||
        sip->cseq->number == NULL || sip->from == NULL || sip->to == NULL ||
        osip_list_size(&sip->vias) < 1)
        goto out;
    if (sip->sip_version == NULL || strcmp(sip->sip_version, "SIP/2.0") != 0)
        goto out;
    if (!MSG_IS_REQUEST(sip) && (sip->status_code < 100 || sip->status_code > 699))
        goto out;
    if (sip->content_length && sip->content_length->value) {
        const char *cl = sip->content_length->value;
        if (cl[0] == '\0' || strspn(cl, "0123456789") != strlen(cl) ||
            strtoul(cl, NULL, 10) > after_headers(data, len))
            goto out;
    }
    v->is_request = MSG_IS_REQUEST(sip);
    if (v->is_request) {
        if (sip->sip_method == NULL || strcmp(sip->sip_method, sip->cseq->method) != 0)
            goto out;
        snprintf(v->method, sizeof v->method, "%s", sip->sip_method);
    }
    v->status = sip->status_code;
    char *cid = NULL;
    osip_call_id_to_str(sip->call_id, &cid);
    snprintf(v->call_id, sizeof v->call_id, "%s", cid ? cid : "");
    osip_free(cid);
    snprintf(v->cseq_method, sizeof v->cseq_method, "%s", sip->cseq->method);
    char *end;
    v->cseq = strtoul(sip->cseq->number, &end, 10);
    if (*end != '\0')
        goto out;
    v->nvia = osip_list_size(&sip->vias);
    v->ok = 1;
out:
    osip_message_free(sip);
}

static void ours_view(const char *data, size_t len, struct view *v)
{
    memset(v, 0, sizeof *v);
    struct vp_sip_msg m;
    if (vp_sip_parse(data, len, &m) != VP_SIP_OK)
        return;
    v->ok = 1;
    v->is_request = m.is_request;
    v->status = m.status;
    snprintf(v->method, sizeof v->method, "%.*s", (int)m.method.len, m.method.p);
    snprintf(v->call_id, sizeof v->call_id, "%.*s", (int)m.call_id.len, m.call_id.p);
    snprintf(v->cseq_method, sizeof v->cseq_method, "%.*s", (int)m.cseq_method.len,
             m.cseq_method.p);
    v->cseq = m.cseq;
    v->nvia = m.nvia;
}

static struct corpus_file *files;
static int nfiles;

static void test_agree(void)
{
    CHECK(nfiles >= 25);
    for (int i = 0; i < nfiles; i++) {
        struct view a, b;
        osip_view(files[i].data, files[i].len, &a);
        ours_view(files[i].data, files[i].len, &b);
        if (a.ok != b.ok)
            fprintf(stderr, "%s: oSIP %s, virtperf %s\n", files[i].name,
                    a.ok ? "accepts" : "rejects", b.ok ? "accepts" : "rejects");
        CHECK_INT(a.ok, b.ok);
        CHECK_INT(b.ok, files[i].valid);
        if (!a.ok || !b.ok)
            continue;
        CHECK_INT(a.is_request, b.is_request);
        CHECK_STR(a.method, b.method);
        CHECK_INT(a.status, b.status);
        CHECK_STR(a.call_id, b.call_id);
        CHECK_INT(a.cseq, b.cseq);
        CHECK_STR(a.cseq_method, b.cseq_method);
        if (a.nvia != b.nvia)
            fprintf(stderr, "%s: Via count oSIP %d, virtperf %d\n", files[i].name, a.nvia, b.nvia);
        CHECK_INT(a.nvia, b.nvia);
    }
}

int main(void)
{
    const char *dir = getenv("SIP_CORPUS");
    if (parser_init() != 0)
        return 1;
    nfiles = corpus_load(dir ? dir : "tests/data/sip", &files);
    RUN(test_agree);
    corpus_free(files, nfiles);
    return CHECK_DONE();
}
