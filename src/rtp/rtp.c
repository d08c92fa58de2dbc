#include "rtp/rtp.h"

#include <errno.h>

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)get16(p) << 16 | get16(p + 2);
}

void vp_rtp_header_encode(const struct vp_rtp_header *h, uint8_t *buf)
{
    buf[0] = (uint8_t)(2u << 6 | (h->padding & 1u) << 5 | (h->extension & 1u) << 4 |
                       (h->csrc_count & 15u));
    buf[1] = (uint8_t)((h->marker & 1u) << 7 | (h->payload_type & 127u));
    put16(buf + 2, h->seq);
    put32(buf + 4, h->timestamp);
    put32(buf + 8, h->ssrc);
}

int vp_rtp_header_decode(const uint8_t *pkt, size_t len, struct vp_rtp_header *h,
                         size_t *payload_off, size_t *payload_len)
{
    if (len < VP_RTP_HEADER_LEN || pkt[0] >> 6 != 2)
        return -EBADMSG;
    h->version = 2;
    h->padding = pkt[0] >> 5 & 1;
    h->extension = pkt[0] >> 4 & 1;
    h->csrc_count = pkt[0] & 15;
    h->marker = pkt[1] >> 7;
    h->payload_type = pkt[1] & 127;
    h->seq = get16(pkt + 2);
    h->timestamp = get32(pkt + 4);
    h->ssrc = get32(pkt + 8);
    size_t off = VP_RTP_HEADER_LEN + 4u * h->csrc_count;
    if (h->extension) { /* §5.3.1: 16-bit profile word, 16-bit length in words */
        if (len < off + 4)
            return -EBADMSG;
        off += 4 + 4u * get16(pkt + off + 2);
    }
    size_t end = len;
    if (h->padding) { /* the last octet counts the padding octets, itself included */
        if (pkt[len - 1] == 0 || pkt[len - 1] > len)
            return -EBADMSG;
        end = len - pkt[len - 1];
    }
    if (off > end)
        return -EBADMSG;
    *payload_off = off;
    *payload_len = end - off;
    return 0;
}

void vp_rtp_probe_encode(const struct vp_rtp_probe *p, uint8_t *payload)
{
    put32(payload, VP_RTP_PROBE_MAGIC);
    put32(payload + 4, p->token);
    put32(payload + 8, p->stream);
    put32(payload + 12, p->seq);
    put32(payload + 16, (uint32_t)(p->sent_ns >> 32));
    put32(payload + 20, (uint32_t)p->sent_ns);
}

int vp_rtp_probe_decode(const uint8_t *payload, size_t len, struct vp_rtp_probe *p)
{
    if (len < VP_RTP_PROBE_LEN || get32(payload) != VP_RTP_PROBE_MAGIC)
        return -EBADMSG;
    p->token = get32(payload + 4);
    p->stream = get32(payload + 8);
    p->seq = get32(payload + 12);
    p->sent_ns = (uint64_t)get32(payload + 16) << 32 | get32(payload + 20);
    return 0;
}

uint32_t vp_rtp_stream_ssrc(uint32_t token, uint32_t stream)
{
    /* an odd multiplier is a bijection on 32 bits: distinct streams, distinct SSRCs */
    uint32_t s = (token ^ (stream * 0x9E3779B1u)) * 0x85EBCA6Bu;
    return s ? s : 1;
}
