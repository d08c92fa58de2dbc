/* SIP message parser and builder (see msg.h). */
#include "sip/msg.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

static const char *const perr_names[VP_SIP_E_COUNT] = {
    [VP_SIP_OK] = "ok",
    [VP_SIP_E_EMPTY] = "empty",
    [VP_SIP_E_START_LINE] = "start-line",
    [VP_SIP_E_VERSION] = "version",
    [VP_SIP_E_STATUS] = "status-code",
    [VP_SIP_E_HEADER] = "header-line",
    [VP_SIP_E_NO_END] = "no-header-end",
    [VP_SIP_E_MISSING] = "missing-header",
    [VP_SIP_E_CSEQ] = "cseq",
    [VP_SIP_E_VIA] = "via",
    [VP_SIP_E_CONTENT_LENGTH] = "content-length",
    [VP_SIP_E_DUPLICATE] = "duplicate-header",
    [VP_SIP_E_TOO_MANY] = "too-many-values",
};

const char *vp_sip_perr_name(enum vp_sip_perr e)
{
    return (unsigned)e < VP_SIP_E_COUNT ? perr_names[e] : "unknown";
}

static bool is_lws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 3261 token characters: alphanumerics and -.!%*_+`'~ */
static const unsigned char token_chars[256] = {
    ['!'] = 1, ['%'] = 1, ['\''] = 1, ['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['_'] = 1,
    ['`'] = 1, ['~'] = 1, ['0'] = 1,  ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
    ['6'] = 1, ['7'] = 1, ['8'] = 1,  ['9'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1,
    ['E'] = 1, ['F'] = 1, ['G'] = 1,  ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
    ['M'] = 1, ['N'] = 1, ['O'] = 1,  ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1,
    ['U'] = 1, ['V'] = 1, ['W'] = 1,  ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1,
    ['c'] = 1, ['d'] = 1, ['e'] = 1,  ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1,
    ['k'] = 1, ['l'] = 1, ['m'] = 1,  ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
    ['s'] = 1, ['t'] = 1, ['u'] = 1,  ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

static bool is_token(char c)
{
    return token_chars[(unsigned char)c];
}

bool vp_sip_str_eq(struct vp_sip_str s, const char *c)
{
    size_t n = strlen(c);
    return s.len == n && strncasecmp(s.p, c, n) == 0;
}

static struct vp_sip_str trim(const char *a, const char *b)
{
    while (a < b && is_lws(*a))
        a++;
    while (b > a && is_lws(b[-1]))
        b--;
    return (struct vp_sip_str){a, (uint32_t)(b - a)};
}

/* The value of parameter name ("branch", "tag") in s[from..), or len 0. */
static struct vp_sip_str param(struct vp_sip_str s, uint32_t from, const char *name)
{
    size_t n = strlen(name);
    const char *end = s.p + s.len;
    for (const char *q = s.p + from; q < end; q++) {
        if (*q != ';')
            continue;
        const char *k = q + 1;
        while (k < end && is_lws(*k))
            k++;
        if ((size_t)(end - k) > n && strncasecmp(k, name, n) == 0) {
            const char *v = k + n;
            while (v < end && is_lws(*v))
                v++;
            if (v < end && *v == '=') {
                v++;
                while (v < end && is_lws(*v))
                    v++;
                const char *e = v;
                while (e < end && *e != ';' && *e != ',' && !is_lws(*e))
                    e++;
                return (struct vp_sip_str){v, (uint32_t)(e - v)};
            }
        }
    }
    return (struct vp_sip_str){NULL, 0};
}

/* The tag of a From/To value: parameters after the name-addr's '>'. */
static struct vp_sip_str tag_of(struct vp_sip_str v)
{
    const char *gt = memchr(v.p, '>', v.len);
    return param(v, gt ? (uint32_t)(gt - v.p) : 0, "tag");
}

/* Split a comma-separated header value (commas inside <> or quotes don't
 * count) into out[*n..max). Returns false when max is exceeded. */
static bool split_commas(struct vp_sip_str v, struct vp_sip_str *out, int *n, int max)
{
    const char *a = v.p, *end = v.p + v.len;
    bool quoted = false;
    int angle = 0;
    for (const char *q = v.p; q <= end; q++) {
        if (q < end) {
            if (*q == '"')
                quoted = !quoted;
            else if (!quoted && *q == '<')
                angle++;
            else if (!quoted && *q == '>' && angle > 0)
                angle--;
            if (*q != ',' || quoted || angle)
                continue;
        }
        struct vp_sip_str t = trim(a, q);
        if (t.len) {
            if (*n >= max)
                return false;
            out[(*n)++] = t;
        }
        a = q + 1;
    }
    return true;
}

/* "SIP/2.0/UDP host..." */
static bool via_ok(struct vp_sip_str v)
{
    if (v.len < 9 || strncasecmp(v.p, "SIP", 3) != 0)
        return false;
    const char *q = v.p + 3, *end = v.p + v.len;
    for (int part = 0; part < 2; part++) { /* "/2.0" then "/UDP" with optional LWS */
        while (q < end && is_lws(*q))
            q++;
        if (q >= end || *q != '/')
            return false;
        q++;
        while (q < end && is_lws(*q))
            q++;
        if (part == 0) {
            if (end - q < 3 || strncmp(q, "2.0", 3) != 0)
                return false;
            q += 3;
        } else {
            const char *t = q;
            while (q < end && is_token(*q))
                q++;
            if (q == t)
                return false;
        }
    }
    if (q >= end || !is_lws(*q))
        return false;
    while (q < end && is_lws(*q))
        q++;
    return q < end && *q != ';';
}

enum hdr { H_OTHER, H_VIA, H_FROM, H_TO, H_CALL_ID, H_CSEQ, H_CONTACT, H_CLEN, H_RR };

static enum hdr header_kind(struct vp_sip_str n)
{
    static const struct {
        const char *name;
        uint32_t len;
        char compact;
        enum hdr kind;
    } known[] = {
        {"Via", 3, 'v', H_VIA},
        {"From", 4, 'f', H_FROM},
        {"To", 2, 't', H_TO},
        {"Call-ID", 7, 'i', H_CALL_ID},
        {"CSeq", 4, 0, H_CSEQ},
        {"Contact", 7, 'm', H_CONTACT},
        {"Content-Length", 14, 'l', H_CLEN},
        {"Record-Route", 12, 0, H_RR},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (n.len == 1 && known[i].compact && (n.p[0] | 0x20) == known[i].compact)
            return known[i].kind;
        if (n.len == known[i].len && strncasecmp(n.p, known[i].name, n.len) == 0)
            return known[i].kind;
    }
    return H_OTHER;
}

static enum vp_sip_perr parse_cseq(struct vp_sip_str v, struct vp_sip_msg *m)
{
    const char *q = v.p, *end = v.p + v.len;
    uint64_t n = 0;
    if (q >= end || *q < '0' || *q > '9')
        return VP_SIP_E_CSEQ;
    while (q < end && *q >= '0' && *q <= '9') {
        n = n * 10 + (uint64_t)(*q++ - '0');
        if (n > 0x7fffffffu)
            return VP_SIP_E_CSEQ;
    }
    if (q >= end || !is_lws(*q))
        return VP_SIP_E_CSEQ;
    while (q < end && is_lws(*q))
        q++;
    const char *meth = q;
    while (q < end && is_token(*q))
        q++;
    if (q == meth || q != end)
        return VP_SIP_E_CSEQ;
    m->cseq = (uint32_t)n;
    m->cseq_method = (struct vp_sip_str){meth, (uint32_t)(q - meth)};
    return VP_SIP_OK;
}

static enum vp_sip_perr set_once(struct vp_sip_str *slot, struct vp_sip_str v)
{
    if (slot->p)
        return VP_SIP_E_DUPLICATE;
    *slot = v;
    return VP_SIP_OK;
}

static enum vp_sip_perr header(struct vp_sip_msg *m, struct vp_sip_str name, struct vp_sip_str v)
{
    switch (header_kind(name)) {
    case H_VIA: {
        int first = m->nvia;
        if (!split_commas(v, m->via, &m->nvia, VP_SIP_MAX_VIA))
            return VP_SIP_E_TOO_MANY;
        if (m->nvia == first)
            return VP_SIP_E_VIA;
        for (int i = first; i < m->nvia; i++)
            if (!via_ok(m->via[i]))
                return VP_SIP_E_VIA;
        return VP_SIP_OK;
    }
    case H_RR:
        return split_commas(v, m->rr, &m->nrr, VP_SIP_MAX_RR) ? VP_SIP_OK : VP_SIP_E_TOO_MANY;
    case H_FROM:
        return set_once(&m->from, v);
    case H_TO:
        return set_once(&m->to, v);
    case H_CALL_ID:
        if (v.len == 0)
            return VP_SIP_E_MISSING;
        return set_once(&m->call_id, v);
    case H_CSEQ:
        if (m->cseq_method.p)
            return VP_SIP_E_DUPLICATE;
        return parse_cseq(v, m);
    case H_CONTACT:
        if (!m->contact.p)
            m->contact = v;
        return VP_SIP_OK;
    case H_CLEN: {
        if (m->content_length >= 0)
            return VP_SIP_E_DUPLICATE;
        int64_t n = 0;
        if (v.len == 0 || v.len > 9)
            return VP_SIP_E_CONTENT_LENGTH;
        for (uint32_t i = 0; i < v.len; i++) {
            if (v.p[i] < '0' || v.p[i] > '9')
                return VP_SIP_E_CONTENT_LENGTH;
            n = n * 10 + (v.p[i] - '0');
        }
        m->content_length = n;
        return VP_SIP_OK;
    }
    case H_OTHER:
        break;
    }
    return VP_SIP_OK;
}

/* The request or status line in [a, e) (without CR/LF). */
static enum vp_sip_perr start_line(const char *a, const char *e, struct vp_sip_msg *m)
{
    if (e - a >= 4 && strncmp(a, "SIP/", 4) == 0) {
        if (e - a < 8 || strncmp(a, "SIP/2.0 ", 8) != 0)
            return VP_SIP_E_VERSION;
        const char *q = a + 8;
        if (e - q < 3 || q[0] < '1' || q[0] > '6' || q[1] < '0' || q[1] > '9' || q[2] < '0' ||
            q[2] > '9')
            return VP_SIP_E_STATUS;
        if (e - q > 3 && q[3] != ' ')
            return VP_SIP_E_STATUS;
        m->is_request = false;
        m->status = (q[0] - '0') * 100 + (q[1] - '0') * 10 + (q[2] - '0');
        m->reason = e - q > 3 ? (struct vp_sip_str){q + 4, (uint32_t)(e - q - 4)}
                              : (struct vp_sip_str){q + 3, 0};
        return VP_SIP_OK;
    }
    const char *q = a;
    while (q < e && is_token(*q))
        q++;
    if (q == a || q >= e || *q != ' ')
        return VP_SIP_E_START_LINE;
    m->method = (struct vp_sip_str){a, (uint32_t)(q - a)};
    const char *u = ++q;
    while (q < e && *q != ' ' && *q != '\t')
        q++;
    if (q == u || q >= e || *q != ' ' || memchr(u, ':', (size_t)(q - u)) == NULL)
        return VP_SIP_E_START_LINE;
    m->uri = (struct vp_sip_str){u, (uint32_t)(q - u)};
    q++;
    if (e - q != 7 || strncmp(q, "SIP/2.0", 7) != 0)
        return (e - q >= 4 && strncmp(q, "SIP/", 4) == 0) ? VP_SIP_E_VERSION : VP_SIP_E_START_LINE;
    m->is_request = true;
    return VP_SIP_OK;
}

/* End of the line starting at p: the LF, or end. */
static const char *eol(const char *p, const char *end)
{
    const char *lf = memchr(p, '\n', (size_t)(end - p));
    return lf ? lf : end;
}

static const char *strip_cr(const char *a, const char *e)
{
    return e > a && e[-1] == '\r' ? e - 1 : e;
}

enum vp_sip_perr vp_sip_parse(const char *buf, size_t len, struct vp_sip_msg *m)
{
    memset(m, 0, sizeof *m);
    m->content_length = -1;
    const char *p = buf, *end = buf + len;
    while (p < end && is_lws(*p))
        p++;
    if (p >= end)
        return VP_SIP_E_EMPTY;
    const char *e = eol(p, end);
    if (e >= end)
        return VP_SIP_E_NO_END;
    enum vp_sip_perr rc = start_line(p, strip_cr(p, e), m);
    if (rc)
        return rc;
    p = e + 1;
    for (;;) {
        if (p >= end)
            return VP_SIP_E_NO_END;
        e = eol(p, end);
        const char *le = strip_cr(p, e);
        if (le == p) { /* the empty line */
            p = e < end ? e + 1 : end;
            break;
        }
        if (*p == ' ' || *p == '\t')
            return VP_SIP_E_HEADER; /* continuation without a header */
        const char *c = p;
        while (c < le && is_token(*c))
            c++;
        struct vp_sip_str name = {p, (uint32_t)(c - p)};
        while (c < le && (*c == ' ' || *c == '\t'))
            c++;
        if (name.len == 0 || c >= le || *c != ':')
            return VP_SIP_E_HEADER;
        /* folding: following lines that start with SP or HT continue it */
        while (e < end && e + 1 < end && (e[1] == ' ' || e[1] == '\t')) {
            e = eol(e + 1, end);
            le = strip_cr(p, e);
        }
        if (e >= end)
            return VP_SIP_E_NO_END;
        if ((rc = header(m, name, trim(c + 1, le))) != VP_SIP_OK)
            return rc;
        p = e + 1;
    }
    if (!m->nvia || !m->from.p || !m->to.p || !m->call_id.p || !m->cseq_method.p)
        return VP_SIP_E_MISSING;
    if (m->is_request && (m->cseq_method.len != m->method.len ||
                          memcmp(m->cseq_method.p, m->method.p, m->method.len) != 0))
        return VP_SIP_E_CSEQ;
    size_t rest = (size_t)(end - p);
    if (m->content_length > (int64_t)rest)
        return VP_SIP_E_CONTENT_LENGTH;
    m->body = (struct vp_sip_str){
        p, (uint32_t)(m->content_length >= 0 ? (size_t)m->content_length : rest)};
    m->branch = param(m->via[0], 0, "branch");
    m->from_tag = tag_of(m->from);
    m->to_tag = tag_of(m->to);
    return VP_SIP_OK;
}

bool vp_sip_txn_match(const struct vp_sip_msg *m, struct vp_sip_str branch, const char *method)
{
    if (m->branch.len != branch.len || m->branch.len < sizeof VP_SIP_COOKIE - 1 ||
        memcmp(m->branch.p, branch.p, branch.len) != 0)
        return false;
    if (vp_sip_str_eq(m->cseq_method, method))
        return true;
    return m->is_request && strcmp(method, "INVITE") == 0 && vp_sip_str_eq(m->cseq_method, "ACK");
}

void vp_sip_buf_init(struct vp_sip_buf *b, char *mem, size_t cap)
{
    b->p = mem;
    b->len = 0;
    b->cap = cap;
    b->overflow = false;
}

void vp_sip_put(struct vp_sip_buf *b, const char *s, size_t n)
{
    if (b->overflow || n > b->cap - b->len) {
        b->overflow = true;
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

void vp_sip_puts(struct vp_sip_buf *b, const char *s)
{
    vp_sip_put(b, s, strlen(s));
}

void vp_sip_put_str(struct vp_sip_buf *b, struct vp_sip_str s)
{
    vp_sip_put(b, s.p, s.len);
}

void vp_sip_put_u64(struct vp_sip_buf *b, uint64_t v)
{
    char t[24];
    int i = sizeof t;
    do {
        t[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    vp_sip_put(b, t + i, sizeof t - (size_t)i);
}

void vp_sip_put_hex(struct vp_sip_buf *b, uint64_t v)
{
    char t[16];
    int i = sizeof t;
    do {
        t[--i] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    vp_sip_put(b, t + i, sizeof t - (size_t)i);
}

int vp_sip_build_response(struct vp_sip_buf *b, const struct vp_sip_msg *req, int status,
                          const char *reason, const char *to_tag, const char *contact)
{
    VP_SIP_PUTL(b, "SIP/2.0 ");
    vp_sip_put_u64(b, (uint64_t)status);
    VP_SIP_PUTL(b, " ");
    vp_sip_puts(b, reason);
    for (int i = 0; i < req->nvia; i++) {
        VP_SIP_PUTL(b, "\r\nVia: ");
        vp_sip_put_str(b, req->via[i]);
    }
    VP_SIP_PUTL(b, "\r\nFrom: ");
    vp_sip_put_str(b, req->from);
    VP_SIP_PUTL(b, "\r\nTo: ");
    vp_sip_put_str(b, req->to);
    if (to_tag && req->to_tag.len == 0) {
        VP_SIP_PUTL(b, ";tag=");
        vp_sip_puts(b, to_tag);
    }
    VP_SIP_PUTL(b, "\r\nCall-ID: ");
    vp_sip_put_str(b, req->call_id);
    VP_SIP_PUTL(b, "\r\nCSeq: ");
    vp_sip_put_u64(b, req->cseq);
    VP_SIP_PUTL(b, " ");
    vp_sip_put_str(b, req->cseq_method);
    if (contact) {
        for (int i = 0; i < req->nrr; i++) {
            VP_SIP_PUTL(b, "\r\nRecord-Route: ");
            vp_sip_put_str(b, req->rr[i]);
        }
        VP_SIP_PUTL(b, "\r\nContact: ");
        vp_sip_puts(b, contact);
    }
    VP_SIP_PUTL(b, "\r\nServer: virtperf\r\nContent-Length: 0\r\n\r\n");
    return b->overflow ? -ENOSPC : 0;
}
