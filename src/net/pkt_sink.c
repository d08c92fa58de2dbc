#include "net/pkt_sink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

/* 32 MiB of ring: a quarter second of 64-byte frames at 1 Mpps. */
#define BLOCK_SIZE  (1u << 20)
#define BLOCKS      32
#define FRAME_SIZE  2048 /* the accounting unit of a V3 block, not a slot */
#define BLOCK_TOV   2    /* ms: a block not yet full is handed over after this */
#define BITMAP_BITS (1ull << 30)

struct vp_pkt_sink {
    int fd;
    uint64_t token;
    uint8_t *ring;
    size_t ring_bytes;
    unsigned next; /* the block to read next */
    struct vp_pkt_counts c;
    uint64_t peer_next[VP_PKT_MAX_PEERS]; /* per source MAC: highest sequence number + 1 */
    uint64_t *seen;                       /* this trial's sequence numbers */
    size_t seen_words, seen_used;         /* allocated, touched (to clear) */
};

static struct tpacket_block_desc *block(const struct vp_pkt_sink *s, unsigned i)
{
    return (struct tpacket_block_desc *)(s->ring + (size_t)i * BLOCK_SIZE);
}

int vp_pkt_sink_open(int ifindex, uint64_t token, struct vp_pkt_sink **out, struct vp_err *err)
{
    *out = NULL;
    if (ifindex <= 0)
        return vp_input_error(err, "interface index %d: not an interface", ifindex);
    struct vp_pkt_sink *s = calloc(1, sizeof *s);
    if (s == NULL)
        return vp_run_error(err, ENOMEM, "packet sink");
    s->token = token;
    int v = TPACKET_V3, one = 1, rc;
    struct tpacket_req3 req = {.tp_block_size = BLOCK_SIZE,
                               .tp_block_nr = BLOCKS,
                               .tp_frame_size = FRAME_SIZE,
                               .tp_frame_nr = BLOCK_SIZE / FRAME_SIZE * BLOCKS,
                               .tp_retire_blk_tov = BLOCK_TOV};
    struct sockaddr_ll at = {
        .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = ifindex};
    /* protocol 0 until bound: no other link's frames in between */
    s->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (s->fd < 0 || setsockopt(s->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0 ||
        setsockopt(s->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) < 0 ||
        setsockopt(s->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0) {
        rc = vp_run_error(err, errno, "packet sink: AF_PACKET socket with a TPACKET_V3 ring");
        goto out;
    }
    s->ring_bytes = (size_t)BLOCK_SIZE * BLOCKS;
    s->ring = mmap(NULL, s->ring_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
    if (s->ring == MAP_FAILED) {
        s->ring = NULL;
        rc = vp_run_error(err, errno, "packet sink: mapping its ring");
        goto out;
    }
    if (bind(s->fd, (struct sockaddr *)&at, sizeof at) < 0) {
        rc = vp_run_error(err, errno, "packet sink: bind to interface %d", ifindex);
        goto out;
    }
    *out = s;
    return 0;
out:
    vp_pkt_sink_close(s);
    return rc;
}

void vp_pkt_sink_close(struct vp_pkt_sink *s)
{
    if (s == NULL)
        return;
    if (s->ring)
        munmap(s->ring, s->ring_bytes);
    if (s->fd >= 0)
        close(s->fd);
    free(s->seen);
    free(s);
}

int vp_pkt_sink_fd(const struct vp_pkt_sink *s)
{
    return s->fd;
}

void vp_pkt_sink_trial(struct vp_pkt_sink *s, uint16_t trial)
{
    struct tpacket_stats_v3
        st; /* reading restarts the kernel's count: drops before are not this trial's */
    socklen_t len = sizeof st;
    getsockopt(s->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len);
    memset(&s->c, 0, sizeof s->c);
    s->c.trial = trial;
    memset(s->peer_next, 0, sizeof s->peer_next);
    if (s->seen)
        memset(s->seen, 0, s->seen_used * sizeof *s->seen);
    s->seen_used = 0;
}

void vp_pkt_sink_counts(const struct vp_pkt_sink *s, struct vp_pkt_counts *c)
{
    *c = s->c;
}

/* Mark seq seen; false when it already was. Past the bitmap's reach (or
 * out of memory) it cannot tell: counted unchecked. */
static bool first_sight(struct vp_pkt_sink *s, uint64_t seq)
{
    size_t w = (size_t)(seq / 64);
    if (seq >= BITMAP_BITS) {
        s->c.unchecked++;
        return true;
    }
    if (w >= s->seen_words) {
        size_t n = s->seen_words ? s->seen_words : 4096;
        while (n <= w)
            n *= 2;
        uint64_t *p = realloc(s->seen, n * sizeof *p);
        if (p == NULL) {
            s->c.unchecked++;
            return true;
        }
        memset(p + s->seen_words, 0, (n - s->seen_words) * sizeof *p);
        s->seen = p;
        s->seen_words = n;
    }
    if (w >= s->seen_used)
        s->seen_used = w + 1;
    uint64_t bit = 1ull << (seq % 64);
    if (s->seen[w] & bit)
        return false;
    s->seen[w] |= bit;
    return true;
}

/* The index of a source MAC among the peers, learnt on its first frame;
 * -1 past VP_PKT_MAX_PEERS. */
static int peer_of(struct vp_pkt_counts *c, const uint8_t *mac)
{
    for (int i = 0; i < c->peers; i++)
        if (memcmp(c->peer_mac[i], mac, 6) == 0)
            return i;
    if (c->peers == VP_PKT_MAX_PEERS)
        return -1;
    memcpy(c->peer_mac[c->peers], mac, 6);
    return c->peers++;
}

/* Count one frame; 1 when it was received. */
static int count(struct vp_pkt_sink *s, const uint8_t *p, uint32_t len, uint64_t ns)
{
    struct vp_pkt_counts *c = &s->c;
    struct vp_pkt_seen v;
    if (!vp_pkt_frame_parse(p, len, &v) || v.token != s->token) {
        c->foreign++;
        return 0;
    }
    if (!v.csum_ok) {
        c->corrupt++;
        return 0;
    }
    if (v.trial != c->trial) {
        c->stale++;
        return 0;
    }
    if (!first_sight(s, v.seq)) {
        c->duplicates++;
        return 0;
    }
    c->received++;
    c->not_forwarded += v.ttl == VP_PKT_TTL;
    if (c->first_ns == 0)
        c->first_ns = ns;
    c->last_ns = ns;
    int peer = peer_of(c, v.src_mac);
    if (peer < 0) {
        c->other_peers++;
        return 1;
    }
    c->peer_received[peer]++;
    if (v.seq < s->peer_next[peer])
        c->out_of_order++;
    else
        s->peer_next[peer] = v.seq + 1;
    return 1;
}

static int read_block(struct vp_pkt_sink *s, struct tpacket_block_desc *b)
{
    int n = 0;
    uint8_t *p = (uint8_t *)b + b->hdr.bh1.offset_to_first_pkt;
    for (uint32_t i = 0; i < b->hdr.bh1.num_pkts; i++) {
        struct tpacket3_hdr *h = (struct tpacket3_hdr *)p;
        uint64_t ns = (uint64_t)h->tp_sec * 1000000000ull + h->tp_nsec;
        n += count(s, p + h->tp_mac, h->tp_snaplen, ns);
        p += h->tp_next_offset;
    }
    return n;
}

static bool block_ready(const struct vp_pkt_sink *s)
{
    return __atomic_load_n(&block(s, s->next)->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
           TP_STATUS_USER;
}

int vp_pkt_sink_poll(struct vp_pkt_sink *s, int timeout_ms)
{
    if (!block_ready(s)) {
        struct pollfd pfd = {s->fd, POLLIN | POLLERR, 0};
        int r = poll(&pfd, 1, timeout_ms);
        if (r < 0)
            return errno == EINTR ? 0 : -errno;
        if (pfd.revents & POLLERR) { /* the link went down: clear it and go on */
            int e;
            socklen_t l = sizeof e;
            getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &e, &l);
        }
    }
    int n = 0;
    while (block_ready(s)) {
        struct tpacket_block_desc *b = block(s, s->next);
        n += read_block(s, b);
        __atomic_store_n(&b->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
        s->next = (s->next + 1) % BLOCKS;
    }
    struct tpacket_stats_v3 st;
    socklen_t len = sizeof st;
    if (getsockopt(s->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
        s->c.ring_drops += st.tp_drops; /* the kernel's count restarts at every read */
    return n;
}

int vp_pkt_sink_drain(struct vp_pkt_sink *s, int quiet_ms, int max_ms)
{
    uint64_t end = vp_now_ns() + (uint64_t)max_ms * 1000000ull;
    uint64_t quiet_from = vp_now_ns();
    while (vp_now_ns() < end) {
        uint64_t seen = s->c.received + s->c.duplicates + s->c.stale + s->c.corrupt;
        int rc = vp_pkt_sink_poll(s, BLOCK_TOV + 1);
        if (rc < 0)
            return rc;
        uint64_t now = vp_now_ns();
        if (s->c.received + s->c.duplicates + s->c.stale + s->c.corrupt != seen)
            quiet_from = now;
        else if (now - quiet_from >= (uint64_t)quiet_ms * 1000000ull)
            return 0;
    }
    return 0;
}
