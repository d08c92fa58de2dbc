#include "net/pkt_frame.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "core/prng.h"

#define PERM_SEED 0x76705f706b74ull /* fixed: every run visits destinations alike */

int vp_pkt_flow_check(const struct vp_pkt_flow *f, struct vp_err *err)
{
    if (f->ifindex <= 0)
        return vp_input_error(err, "interface index %d: not an interface", f->ifindex);
    if (f->frame_len < VP_PKT_MIN_FRAME || f->frame_len > VP_PKT_MAX_FRAME)
        return vp_input_error(err, "frame length %u: not in %d..%d", f->frame_len, VP_PKT_MIN_FRAME,
                              VP_PKT_MAX_FRAME);
    if (f->peers < 1 || f->peers > VP_PKT_MAX_PEERS)
        return vp_input_error(err, "peers %d: not in 1..%d", f->peers, VP_PKT_MAX_PEERS);
    if (f->dst_count < 1 || f->dst_count > VP_PKT_MAX_DESTS)
        return vp_input_error(err, "destinations %u: not in 1..%u", f->dst_count, VP_PKT_MAX_DESTS);
    if (f->peer_dst_step && (uint64_t)f->dst_count * (uint64_t)f->peers > VP_PKT_MAX_DESTS)
        return vp_input_error(err, "%d peers of %u destinations each: more than %u", f->peers,
                              f->dst_count, VP_PKT_MAX_DESTS);
    uint64_t last = ntohl(f->dst_base) + (uint64_t)(f->dst_count - 1) * f->dst_stride +
                    (uint64_t)(f->peers - 1) * f->peer_dst_step;
    if (last > UINT32_MAX)
        return vp_input_error(err, "%u destinations %u apart: past 255.255.255.255", f->dst_count,
                              f->dst_stride);
    if (f->dst_count > 1 && f->dst_stride == 0)
        return vp_input_error(err, "%u destinations 0 apart: all the same", f->dst_count);
    if (!(f->rate >= 0) || isinf(f->rate))
        return vp_input_error(err, "rate %g: not a rate", f->rate);
    if (f->batch < 0 || f->batch > VP_PKT_BATCH_MAX)
        return vp_input_error(err, "batch %d: not in 0..%d (0: %d)", f->batch, VP_PKT_BATCH_MAX,
                              VP_PKT_BATCH);
    return 0;
}

uint32_t vp_pkt_csum_add(uint32_t sum, const void *p, size_t len)
{
    const uint8_t *b = p;
    for (; len > 1; len -= 2, b += 2)
        sum += (uint32_t)(b[0] << 8 | b[1]);
    if (len)
        sum += (uint32_t)b[0] << 8;
    return sum;
}

uint16_t vp_pkt_csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* 16-bit words below are in network order as stored; ones' complement
 * arithmetic is byte-order independent (RFC 1071, 2.(B)), so the sums run
 * on the stored values directly. */
uint16_t vp_pkt_csum_update32(uint16_t hc, uint32_t old, uint32_t new_)
{
    uint32_t sum = (uint16_t)~hc;
    sum += (uint16_t) ~(old & 0xffff) + (uint16_t) ~(old >> 16);
    sum += (new_ & 0xffff) + (new_ >> 16);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

void vp_pkt_frame_build(const struct vp_pkt_flow *f, uint8_t *p)
{
    memset(p, 0, f->frame_len);
    memcpy(p, f->dst_mac[0], 6);
    memcpy(p + 6, f->src_mac, 6);
    p[12] = 0x08, p[13] = 0x00;

    uint8_t *ip = p + VP_PKT_OFF_IP;
    uint16_t ip_len = htons((uint16_t)(f->frame_len - VP_PKT_OFF_IP));
    uint16_t df = htons(0x4000);
    ip[0] = 0x45;
    memcpy(ip + 2, &ip_len, 2);
    memcpy(ip + 6, &df, 2);
    ip[8] = VP_PKT_TTL;
    ip[9] = 17; /* UDP */
    memcpy(ip + 12, &f->src_ip, 4);
    memcpy(ip + 16, &f->dst_base, 4);
    uint16_t csum = htons(vp_pkt_csum_fold(vp_pkt_csum_add(0, ip, 20)));
    memcpy(ip + 10, &csum, 2);

    uint8_t *udp = p + VP_PKT_OFF_UDP;
    uint16_t port = htons(f->udp_port);
    uint16_t udp_len = htons((uint16_t)(f->frame_len - VP_PKT_OFF_UDP));
    memcpy(udp, &port, 2);
    memcpy(udp + 2, &port, 2);
    memcpy(udp + 4, &udp_len, 2); /* checksum 0: none (RFC 768) */

    uint8_t *pl = p + VP_PKT_OFF_PAYLOAD;
    uint64_t token = htobe64(f->token);
    uint16_t trial = htons(f->trial);
    memcpy(pl, &token, 8);
    memcpy(pl + 16, &trial, 2);
}

void vp_pkt_perm(uint32_t *perm, uint32_t n, uint64_t seed)
{
    for (uint32_t i = 0; i < n; i++)
        perm[i] = i;
    for (uint32_t i = n; i > 1; i--) {
        uint32_t j = (uint32_t)(vp_prng_next(&seed) % i);
        uint32_t t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
}

int vp_pkt_dests(const struct vp_pkt_flow *f, struct vp_pkt_dest **out)
{
    uint32_t n = f->dst_count, tables = f->peer_dst_step ? (uint32_t)f->peers : 1;
    uint32_t *perm = malloc((size_t)n * sizeof *perm);
    struct vp_pkt_dest *d = malloc((size_t)n * tables * sizeof *d);
    if (perm == NULL || d == NULL) {
        free(perm);
        free(d);
        return -ENOMEM;
    }
    uint8_t frame[VP_PKT_MAX_FRAME];
    vp_pkt_frame_build(f, frame);
    uint16_t csum0;
    memcpy(&csum0, frame + VP_PKT_OFF_IP + 10, 2);
    vp_pkt_perm(perm, n, PERM_SEED);
    for (uint32_t t = 0; t < tables; t++) {
        uint32_t base = ntohl(f->dst_base) + t * f->peer_dst_step;
        for (uint32_t i = 0; i < n; i++) {
            struct vp_pkt_dest *x = &d[(size_t)t * n + i];
            x->ip = htonl(base + perm[i] * f->dst_stride);
            x->csum = vp_pkt_csum_update32(csum0, f->dst_base, x->ip);
        }
    }
    free(perm);
    *out = d;
    return 0;
}

bool vp_pkt_frame_parse(const uint8_t *p, uint32_t len, struct vp_pkt_seen *s)
{
    if (len < VP_PKT_MIN_FRAME || p[12] != 0x08 || p[13] != 0x00)
        return false;
    const uint8_t *ip = p + VP_PKT_OFF_IP;
    uint32_t ip_len = (uint32_t)(ip[2] << 8 | ip[3]);
    if (ip[0] != 0x45 || ip[9] != 17 || ip_len + VP_PKT_OFF_IP > len ||
        ip_len < VP_PKT_MIN_FRAME - VP_PKT_OFF_IP)
        return false;
    const uint8_t *udp = p + VP_PKT_OFF_UDP;
    if ((uint32_t)(udp[4] << 8 | udp[5]) != ip_len - 20)
        return false;
    const uint8_t *pl = p + VP_PKT_OFF_PAYLOAD;
    uint64_t token, seq;
    uint16_t trial;
    memcpy(&token, pl, 8);
    memcpy(&seq, pl + 8, 8);
    memcpy(&trial, pl + 16, 2);
    s->src_mac = p + 6;
    s->ttl = ip[8];
    s->csum_ok = vp_pkt_csum_fold(vp_pkt_csum_add(0, ip, 20)) == 0;
    s->token = be64toh(token);
    s->seq = be64toh(seq);
    s->trial = ntohs(trial);
    return true;
}
