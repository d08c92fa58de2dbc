/* SIP messages (RFC 3261) without copies: a parser that points into the
 * received datagram, and a small builder for the messages virtperf sends.
 *
 * The parser reads the request or status line, header names in any case and
 * in compact form (i m e l f t v s k c), folded header lines, several Via
 * headers (one per line or comma-separated), Record-Route, Content-Length and
 * the body. A message it cannot use is rejected with a cause (enum
 * vp_sip_perr) that callers count; it never reads outside buf[0..len). */
#ifndef VP_SIP_MSG_H
#define VP_SIP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A slice of the datagram: not NUL-terminated. */
struct vp_sip_str {
    const char *p;
    uint32_t len;
};

/* Why a message was rejected. */
enum vp_sip_perr {
    VP_SIP_OK = 0,
    VP_SIP_E_EMPTY,          /* nothing but whitespace */
    VP_SIP_E_START_LINE,     /* request/status line malformed */
    VP_SIP_E_VERSION,        /* not SIP/2.0 */
    VP_SIP_E_STATUS,         /* status code not 100..699 */
    VP_SIP_E_HEADER,         /* a header line without "name:" */
    VP_SIP_E_NO_END,         /* no empty line after the headers */
    VP_SIP_E_MISSING,        /* Via, From, To, Call-ID or CSeq absent */
    VP_SIP_E_CSEQ,           /* CSeq not "number method", or method mismatch */
    VP_SIP_E_VIA,            /* Via not "SIP/2.0/transport host" */
    VP_SIP_E_CONTENT_LENGTH, /* not a number, or larger than the body */
    VP_SIP_E_DUPLICATE,      /* a single-valued header given twice */
    VP_SIP_E_TOO_MANY,       /* more Via / Record-Route values than kept */
    VP_SIP_E_COUNT
};

#define VP_SIP_MAX_VIA 16
#define VP_SIP_MAX_RR  8

struct vp_sip_msg {
    bool is_request;
    struct vp_sip_str method, uri; /* requests */
    int status;                    /* responses */
    struct vp_sip_str reason;
    struct vp_sip_str via[VP_SIP_MAX_VIA]; /* each value, top first */
    int nvia;
    struct vp_sip_str branch;            /* top Via's branch parameter; len 0 when absent */
    struct vp_sip_str rr[VP_SIP_MAX_RR]; /* Record-Route values in order */
    int nrr;
    struct vp_sip_str from, to, call_id, contact, cseq_method;
    struct vp_sip_str from_tag, to_tag;
    uint32_t cseq;
    int64_t content_length; /* -1 when absent */
    struct vp_sip_str body;
};

/* Parse one datagram. Returns VP_SIP_OK or the cause of rejection. */
enum vp_sip_perr vp_sip_parse(const char *buf, size_t len, struct vp_sip_msg *m);

/* "start-line", "content-length", ... for counters and messages. */
const char *vp_sip_perr_name(enum vp_sip_perr e);

/* Case-insensitive equality of a slice and a C string. */
bool vp_sip_str_eq(struct vp_sip_str s, const char *c);

/* Transaction matching (RFC 3261 17.1.3/17.2.3): the top Via branch (with the
 * magic cookie) and the CSeq method equal the transaction's; ACK matches an
 * INVITE transaction. */
bool vp_sip_txn_match(const struct vp_sip_msg *m, struct vp_sip_str branch, const char *method);

#define VP_SIP_COOKIE "z9hG4bK"

/* An output buffer; overflow is sticky and checked once at the end. */
struct vp_sip_buf {
    char *p;
    size_t len, cap;
    bool overflow;
};

void vp_sip_buf_init(struct vp_sip_buf *b, char *mem, size_t cap);
void vp_sip_put(struct vp_sip_buf *b, const char *s, size_t n);
void vp_sip_puts(struct vp_sip_buf *b, const char *s);
/* A string literal, its length known at compile time. */
#define VP_SIP_PUTL(b, lit) vp_sip_put((b), "" lit, sizeof(lit) - 1)
void vp_sip_put_str(struct vp_sip_buf *b, struct vp_sip_str s);
void vp_sip_put_u64(struct vp_sip_buf *b, uint64_t v);
void vp_sip_put_hex(struct vp_sip_buf *b, uint64_t v);

/* A response to req: every Via, From, To (with to_tag added when it has
 * none and to_tag is given), Call-ID, CSeq; Record-Route and Contact when
 * contact is given (dialog-creating responses); an empty body. Returns 0 or
 * -ENOSPC. */
int vp_sip_build_response(struct vp_sip_buf *b, const struct vp_sip_msg *req, int status,
                          const char *reason, const char *to_tag, const char *contact);

#endif
