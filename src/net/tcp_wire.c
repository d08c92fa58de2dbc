#include "net/tcp_wire.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

const char *const vp_tcp_dir_names[] = {"up", "down", "both", NULL};

/* Big-endian fields at a moving offset. */
static uint8_t *put16(uint8_t *p, uint16_t v)
{
    v = htobe16(v);
    memcpy(p, &v, 2);
    return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
    v = htobe32(v);
    memcpy(p, &v, 4);
    return p + 4;
}

static uint8_t *put64(uint8_t *p, uint64_t v)
{
    v = htobe64(v);
    memcpy(p, &v, 8);
    return p + 8;
}

static const uint8_t *get16(const uint8_t *p, uint16_t *v)
{
    memcpy(v, p, 2);
    *v = be16toh(*v);
    return p + 2;
}

static const uint8_t *get32(const uint8_t *p, uint32_t *v)
{
    memcpy(v, p, 4);
    *v = be32toh(*v);
    return p + 4;
}

static const uint8_t *get64(const uint8_t *p, uint64_t *v)
{
    memcpy(v, p, 8);
    *v = be64toh(*v);
    return p + 8;
}

void vp_tcp_preamble_put(uint8_t *p, const struct vp_tcp_preamble *pre)
{
    p = put32(p, pre->magic);
    *p++ = VP_TCP_VERSION;
    *p++ = 0;
    p = put16(p, pre->stream);
    put64(p, pre->token);
}

bool vp_tcp_preamble_get(const uint8_t *p, struct vp_tcp_preamble *pre)
{
    p = get32(p, &pre->magic);
    if ((pre->magic != VP_TCP_MAGIC_CONTROL && pre->magic != VP_TCP_MAGIC_STREAM) ||
        p[0] != VP_TCP_VERSION)
        return false;
    p = get16(p + 2, &pre->stream);
    get64(p, &pre->token);
    return true;
}

void vp_tcp_frame_put(uint8_t *p, uint8_t type, uint32_t len)
{
    p[0] = type;
    p[1] = p[2] = p[3] = 0;
    put32(p + 4, len);
}

int vp_tcp_frame_get(const uint8_t *p, uint8_t *type, uint32_t *len)
{
    *type = p[0];
    get32(p + 4, len);
    if (*type < VP_TCP_HELLO || *type > VP_TCP_REPORT || *len > VP_TCP_BODY_MAX)
        return -EBADMSG;
    return 0;
}

void vp_tcp_hello_put(uint8_t *body, const struct vp_tcp_hello *h)
{
    uint8_t *p = put16(body, h->streams);
    *p++ = h->dir;
    *p++ = 0;
    p = put32(p, h->length);
    p = put32(p, h->window);
    p = put64(p, h->duration_ns);
    put64(p, h->interval_ns);
}

int vp_tcp_hello_get(const uint8_t *body, size_t len, struct vp_tcp_hello *h)
{
    if (len != VP_TCP_HELLO_SIZE)
        return -EBADMSG;
    const uint8_t *p = get16(body, &h->streams);
    h->dir = *p;
    p = get32(p + 2, &h->length);
    p = get32(p, &h->window);
    p = get64(p, &h->duration_ns);
    get64(p, &h->interval_ns);
    if (h->streams < 1 || h->streams > VP_TCP_STREAMS_MAX || h->dir < VP_TCP_UP ||
        h->dir > VP_TCP_BOTH || h->length < 1 || h->length > (16u << 20) ||
        h->interval_ns < 1000000)
        return -EBADMSG;
    return 0;
}

size_t vp_tcp_sample_size(int n, bool report)
{
    return (report ? VP_TCP_REPORT_HEAD : VP_TCP_SAMPLE_HEAD) + (size_t)n * VP_TCP_RECORD;
}

void vp_tcp_sample_put(uint8_t *body, const struct vp_tcp_sample *s, bool report)
{
    uint8_t *p = body;
    if (report) {
        const uint64_t v[5] = {s->rx_elapsed_ns, s->rx_cpu_ns, s->rx_busy_ns, s->tx_cpu_ns,
                               s->tx_busy_ns};
        for (int i = 0; i < 5; i++)
            p = put64(p, v[i]);
    } else {
        p = put32(p, s->index);
        p = put32(p, 0);
        p = put64(p, s->elapsed_ns);
    }
    for (int i = 0; i < s->n; i++) {
        const struct vp_tcp_fig *f = &s->fig[i];
        p = put64(p, f->rx_bytes);
        p = put64(p, f->tx_bytes);
        const uint32_t v[6] = {f->retrans, f->rtt_us, f->rttvar_us, f->cwnd, f->snd_mss, f->flags};
        for (int k = 0; k < 6; k++)
            p = put32(p, v[k]);
    }
}

int vp_tcp_sample_get(const uint8_t *body, size_t len, struct vp_tcp_sample *s, bool report)
{
    if (len != vp_tcp_sample_size(s->n, report))
        return -EBADMSG;
    const uint8_t *p = body;
    if (report) {
        uint64_t *v[5] = {&s->rx_elapsed_ns, &s->rx_cpu_ns, &s->rx_busy_ns, &s->tx_cpu_ns,
                          &s->tx_busy_ns};
        for (int i = 0; i < 5; i++)
            p = get64(p, v[i]);
    } else {
        uint32_t zero;
        p = get32(p, &s->index);
        p = get32(p, &zero);
        p = get64(p, &s->elapsed_ns);
    }
    for (int i = 0; i < s->n; i++) {
        struct vp_tcp_fig *f = &s->fig[i];
        p = get64(p, &f->rx_bytes);
        p = get64(p, &f->tx_bytes);
        uint32_t *v[6] = {&f->retrans, &f->rtt_us, &f->rttvar_us, &f->cwnd, &f->snd_mss, &f->flags};
        for (int k = 0; k < 6; k++)
            p = get32(p, v[k]);
    }
    return 0;
}
