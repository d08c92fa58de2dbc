#include "net/pkt_gen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "net/pace.h"
#include "net/target.h"

/* TX ring. Each slot's frame follows a virtio-net header whose hdr_len is
 * the whole frame (PACKET_VNET_HDR): the kernel then copies the frame into
 * the skb's linear part instead of pointing page fragments at the ring,
 * which was 10-20% slower at 64 bytes here and would let a slot be
 * rewritten while a frame still referred to it. */
#define RING_FRAMES  8192
#define RING_BLOCK   (1u << 16)
#define RING_DATA    (TPACKET2_HDRLEN - sizeof(struct sockaddr_ll)) /* slot data offset */
#define RING_VNET    sizeof(struct virtio_net_hdr)
#define RING_FRAME   (RING_DATA + RING_VNET) /* the frame, after its virtio header */
#define FLUSH_NS     100000000ull /* at the end, wait this long for frames still queued */
#define SEND_TIMEOUT 100000       /* us: a blocked sendmmsg returns to the pacer */
/* A frame holds the socket's send buffer until the far side frees it (on a
 * veth, once the receiving namespace took it in): the buffer is made large
 * enough that the ring, not the buffer, bounds the frames in flight. */
#define SNDBUF (32 << 20)

/* The next frame to write: its sequence number, peer and destination. */
struct cursor {
    uint64_t seq;
    uint32_t di;
    int peer;
};

struct gen {
    const struct vp_pkt_flow *f;
    const struct tx_ops *ops;
    int fd, batch;
    struct vp_pkt_dest *dests;
    struct cursor cur;
    uint8_t tmpl[VP_PKT_MAX_FRAME];
    /* mmsg */
    uint8_t *buf;
    struct mmsghdr msg[VP_PKT_BATCH_MAX];
    struct iovec iov[VP_PKT_BATCH_MAX];
    /* ring */
    uint8_t *ring;
    size_t ring_bytes;
    uint32_t frame_size, per_block, nframes;
    uint64_t head, tail; /* frames written, frames the kernel is done with */
};

/* One way of handing frames to the kernel. send: how many of n it took
 * (the pacer counts them as gone); finish: flush what is still queued. */
struct tx_ops {
    const char *name;
    int (*open)(struct gen *g);
    int (*send)(struct gen *g, int n, struct vp_pkt_gen_stats *st);
    void (*finish)(struct gen *g, struct vp_pkt_gen_stats *st);
    void (*close)(struct gen *g);
};

static void cursor_at(const struct gen *g, uint64_t seq, struct cursor *c)
{
    uint64_t round = seq / (uint64_t)g->f->peers;
    *c = (struct cursor){seq, (uint32_t)(round % g->f->dst_count),
                         (int)(seq % (uint64_t)g->f->peers)};
}

/* Write the frame at c into p and step c to the next. */
static inline void fill(const struct gen *g, struct cursor *c, uint8_t *p)
{
    const struct vp_pkt_flow *f = g->f;
    size_t table = f->peer_dst_step ? (size_t)c->peer * f->dst_count : 0;
    vp_pkt_frame_patch(p, f->peers > 1 ? f->dst_mac[c->peer] : NULL, &g->dests[table + c->di],
                       c->seq++);
    if (++c->peer == f->peers) {
        c->peer = 0;
        if (++c->di == f->dst_count)
            c->di = 0;
    }
}

/* sendmmsg: the batch's frames lie in buf, copied by the kernel. */
static int mmsg_open(struct gen *g)
{
    size_t len = g->f->frame_len;
    if ((g->buf = malloc((size_t)g->batch * len)) == NULL)
        return -ENOMEM;
    for (int i = 0; i < g->batch; i++) {
        memcpy(g->buf + (size_t)i * len, g->tmpl, len);
        g->iov[i] = (struct iovec){g->buf + (size_t)i * len, len};
        g->msg[i].msg_hdr = (struct msghdr){.msg_iov = &g->iov[i], .msg_iovlen = 1};
    }
    struct timeval tv = {0, SEND_TIMEOUT};
    setsockopt(g->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return 0;
}

static int mmsg_send(struct gen *g, int n, struct vp_pkt_gen_stats *st)
{
    struct cursor c = g->cur;
    for (int i = 0; i < n; i++)
        fill(g, &c, g->buf + (size_t)i * g->f->frame_len);
    st->calls++;
    int m = sendmmsg(g->fd, g->msg, (unsigned)n, 0);
    if (m < 0) {
        if (errno != EINTR)
            st->refused++;
        return 0;
    }
    if (m == n)
        g->cur = c;
    else /* the rest get their sequence numbers again next time */
        cursor_at(g, g->cur.seq + (uint64_t)m, &g->cur);
    st->sent += (uint64_t)m;
    return m;
}

static void mmsg_finish(struct gen *g, struct vp_pkt_gen_stats *st)
{
    (void)g, (void)st;
}

static void mmsg_close(struct gen *g)
{
    free(g->buf);
}

/* PACKET_TX_RING, TPACKET_V2: frames written in place, one send() per
 * batch; a slot is the kernel's from SEND_REQUEST until it is AVAILABLE
 * again (the skb freed). A frame the device refused is set back to
 * SEND_REQUEST by the kernel and goes with the next send. */
static struct tpacket2_hdr *slot(const struct gen *g, uint64_t i)
{
    uint32_t k = (uint32_t)(i % g->nframes);
    return (struct tpacket2_hdr *)(g->ring + (size_t)(k / g->per_block) * RING_BLOCK +
                                   (size_t)(k % g->per_block) * g->frame_size);
}

static int ring_open(struct gen *g)
{
    int v = TPACKET_V2;
    g->frame_size = (uint32_t)TPACKET_ALIGN(RING_FRAME + g->f->frame_len);
    g->per_block = RING_BLOCK / g->frame_size;
    uint32_t blocks = (RING_FRAMES + g->per_block - 1) / g->per_block;
    g->nframes = blocks * g->per_block;
    struct tpacket_req req = {RING_BLOCK, blocks, g->frame_size, g->nframes};
    if (setsockopt(g->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0 ||
        setsockopt(g->fd, SOL_PACKET, PACKET_VNET_HDR, &v, sizeof v) < 0 ||
        setsockopt(g->fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof req) < 0)
        return -errno;
    g->ring_bytes = (size_t)RING_BLOCK * blocks;
    g->ring = mmap(NULL, g->ring_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, g->fd, 0);
    if (g->ring == MAP_FAILED) {
        g->ring = NULL;
        return -errno;
    }
    for (uint32_t i = 0; i < g->nframes; i++) {
        struct tpacket2_hdr *h = slot(g, i);
        struct virtio_net_hdr vh = {.hdr_len = htole16((uint16_t)g->f->frame_len)};
        memcpy((uint8_t *)h + RING_DATA, &vh, sizeof vh);
        memcpy((uint8_t *)h + RING_FRAME, g->tmpl, g->f->frame_len);
        h->tp_len = (uint32_t)(RING_VNET + g->f->frame_len);
    }
    return 0;
}

/* Count the frames the kernel is done with. */
static void ring_reap(struct gen *g, struct vp_pkt_gen_stats *st)
{
    while (g->tail < g->head) {
        uint32_t s = __atomic_load_n(&slot(g, g->tail)->tp_status, __ATOMIC_ACQUIRE);
        if (s & (TP_STATUS_SEND_REQUEST | TP_STATUS_SENDING | TP_STATUS_WRONG_FORMAT))
            break;
        g->tail++;
        st->sent++;
    }
}

static void ring_kick(struct gen *g, struct vp_pkt_gen_stats *st)
{
    st->calls++;
    if (send(g->fd, NULL, 0, MSG_DONTWAIT) < 0 && errno != EINTR)
        st->refused++; /* what it did not take stays queued for the next send */
}

static int ring_send(struct gen *g, int n, struct vp_pkt_gen_stats *st)
{
    int k = 0;
    for (; k < n && g->head - g->tail < g->nframes; k++, g->head++) {
        struct tpacket2_hdr *h = slot(g, g->head);
        fill(g, &g->cur, (uint8_t *)h + RING_FRAME);
        __atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
    }
    ring_kick(g, st);
    ring_reap(g, st);
    return k;
}

static void ring_finish(struct gen *g, struct vp_pkt_gen_stats *st)
{
    uint64_t until = vp_now_ns() + FLUSH_NS;
    while (g->tail < g->head && vp_now_ns() < until) {
        ring_kick(g, st);
        ring_reap(g, st);
        if (g->tail < g->head)
            nanosleep(&(struct timespec){0, 100000}, NULL);
    }
}

static void ring_close(struct gen *g)
{
    if (g->ring)
        munmap(g->ring, g->ring_bytes);
}

/* The ways of sending; VP_PKT_TX_DEFAULT is the faster in
 * bench/results/pktgen.md. */
static const struct tx_ops tx_table[] = {
    [VP_PKT_TX_DEFAULT] = {"ring", ring_open, ring_send, ring_finish, ring_close},
    [VP_PKT_TX_RING] = {"ring", ring_open, ring_send, ring_finish, ring_close},
    [VP_PKT_TX_MMSG] = {"mmsg", mmsg_open, mmsg_send, mmsg_finish, mmsg_close},
};

const char *vp_pkt_tx_name(enum vp_pkt_tx tx)
{
    return (unsigned)tx < sizeof tx_table / sizeof tx_table[0] ? tx_table[tx].name : "?";
}

/* The link's MTU, or -errno. */
static int link_mtu(int fd, int ifindex)
{
    struct ifreq ifr = {0};
    if (if_indextoname((unsigned)ifindex, ifr.ifr_name) == NULL)
        return -errno;
    if (ioctl(fd, SIOCGIFMTU, &ifr) < 0)
        return -errno;
    return ifr.ifr_mtu;
}

static int gen_open(struct gen *g, struct vp_err *err)
{
    const struct vp_pkt_flow *f = g->f;
    int one = 1, rc;
    vp_pkt_frame_build(f, g->tmpl);
    if (vp_pkt_dests(f, &g->dests) < 0)
        return vp_run_error(err, ENOMEM, "packet generator: %u destinations", f->dst_count);
    g->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0); /* protocol 0: receives nothing */
    if (g->fd < 0)
        return vp_run_error(err, errno, "packet generator: AF_PACKET socket");
    if ((rc = link_mtu(g->fd, f->ifindex)) < 0)
        return vp_run_error(err, -rc, "packet generator: interface %d", f->ifindex);
    if (f->frame_len - VP_PKT_OFF_IP > (uint32_t)rc)
        return vp_input_error(err, "frame length %u: past the link's MTU (%d)", f->frame_len, rc);
    if (setsockopt(g->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) < 0)
        return vp_run_error(err, errno, "packet generator: PACKET_QDISC_BYPASS");
    int sndbuf = SNDBUF; /* past wmem_max as root (CAP_NET_ADMIN); else as far as it goes */
    if (setsockopt(g->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf) < 0)
        setsockopt(g->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    if ((rc = g->ops->open(g)) < 0)
        return vp_run_error(err, -rc, "packet generator: %s", g->ops->name);
    struct sockaddr_ll at = {.sll_family = AF_PACKET, .sll_ifindex = f->ifindex};
    if (bind(g->fd, (struct sockaddr *)&at, sizeof at) < 0)
        return vp_run_error(err, errno, "packet generator: bind to interface %d", f->ifindex);
    return 0;
}

static void gen_close(struct gen *g)
{
    if (g->ops)
        g->ops->close(g);
    if (g->fd >= 0)
        close(g->fd);
    free(g->dests);
    free(g);
}

int vp_pkt_gen_run(const struct vp_pkt_flow *f, uint64_t duration_ns, struct vp_pkt_gen_stats *st,
                   struct vp_err *err)
{
    memset(st, 0, sizeof *st);
    vp_hist_init(&st->late);
    int rc = vp_pkt_flow_check(f, err);
    if (rc < 0)
        return rc;
    if ((unsigned)f->tx >= sizeof tx_table / sizeof tx_table[0])
        return vp_input_error(err, "way of sending %d: unknown", (int)f->tx);
    if (vp_netns_is_initial())
        return vp_input_error(err, "packet generator: the initial network namespace is not a "
                                   "test's own; send from a namespace made for the test");
    struct gen *g = calloc(1, sizeof *g);
    if (g == NULL)
        return vp_run_error(err, ENOMEM, "packet generator");
    g->f = f;
    g->fd = -1;
    g->batch = f->batch ? f->batch : VP_PKT_BATCH;
    g->ops = &tx_table[f->tx];
    if ((rc = gen_open(g, err)) == 0) {
        struct vp_pace pace;
        const uint64_t cpu0 = vp_thread_cpu_ns();
        vp_pace_start(&pace, f->rate, g->batch, duration_ns, &st->late);
        for (int n; (n = vp_pace_next(&pace)) > 0;)
            pace.done += (uint64_t)g->ops->send(g, n, st);
        /* the plan ends with the run; frames still queued may go after it */
        st->elapsed_ns = vp_pace_finish(&pace, pace.done, &st->planned);
        st->cpu_ns = vp_thread_cpu_ns() - cpu0;
        g->ops->finish(g, st);
        st->behind =
            vp_pace_behind(f->rate, st->sent, st->planned, &st->late, st->cpu_ns, st->elapsed_ns);
    }
    gen_close(g);
    return rc;
}
