#include "net/udp_batch.h"

#include <errno.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>

/* A queued datagram: its bytes (data, then pad zeros) and destination. */
struct entry {
    const uint8_t *data;
    uint32_t len, pad;
    union vp_udp_addr to;
    socklen_t to_len; /* 0: the queue's destination */
};

struct vp_udp_txq {
    struct vp_udp_txq_cfg cfg;
    struct vp_udp_txq_stats st;
    int n;
    uint8_t *slots; /* cap * slot */
    struct entry e[VP_UDP_BATCH_MAX];
    /* the messages of a flush: each takes entries first[m].. and their iovs */
    struct mmsghdr msg[VP_UDP_BATCH_MAX];
    int first[VP_UDP_BATCH_MAX + 1];
    struct iovec iov[2 * VP_UDP_BATCH_MAX];
    char control[VP_UDP_BATCH_MAX][CMSG_SPACE(sizeof(uint16_t))];
};

static const uint8_t zeros[65536];

int vp_udp_txq_open(const struct vp_udp_txq_cfg *cfg, struct vp_udp_txq **out, struct vp_err *err)
{
    *out = NULL;
    if (cfg->cap < 1 || cfg->cap > VP_UDP_BATCH_MAX)
        return vp_input_error(err, "batch %d: not in 1..%d", cfg->cap, VP_UDP_BATCH_MAX);
    if (cfg->to_len > sizeof(union vp_udp_addr))
        return vp_input_error(err, "udp sender: not an IP address");
    struct vp_udp_txq *q = calloc(1, sizeof *q);
    if (q == NULL || (cfg->slot && (q->slots = calloc((size_t)cfg->cap, cfg->slot)) == NULL)) {
        free(q);
        return vp_run_error(err, ENOMEM, "udp sender");
    }
    q->cfg = *cfg;
    *out = q;
    return 0;
}

void vp_udp_txq_close(struct vp_udp_txq *q)
{
    if (q == NULL)
        return;
    free(q->slots);
    free(q);
}

uint8_t *vp_udp_txq_slot(struct vp_udp_txq *q)
{
    if (q->n == q->cfg.cap)
        vp_udp_txq_flush(q);
    return q->slots + (size_t)q->n * q->cfg.slot;
}

void vp_udp_txq_push_ref(struct vp_udp_txq *q, const void *data, uint32_t len, uint32_t pad,
                         const struct sockaddr *to, socklen_t to_len)
{
    if (q->n == q->cfg.cap)
        vp_udp_txq_flush(q);
    struct entry *e = &q->e[q->n++];
    e->data = data;
    e->len = len;
    e->pad = pad;
    e->to_len = to && to_len <= sizeof e->to ? to_len : 0;
    if (e->to_len)
        memcpy(&e->to, to, to_len);
}

void vp_udp_txq_push(struct vp_udp_txq *q, uint32_t len, const struct sockaddr *to,
                     socklen_t to_len)
{
    /* the slot vp_udp_txq_slot gave: it flushed a full queue already */
    vp_udp_txq_push_ref(q, q->slots + (size_t)q->n * q->cfg.slot, len, 0, to, to_len);
}

static bool same_message(const struct entry *a, const struct entry *b)
{
    return a->len + a->pad == b->len + b->pad && a->to_len == b->to_len &&
           memcmp(&a->to, &b->to, a->to_len) == 0;
}

/* Lay entries from.. out in messages; how many. */
static int messages(struct vp_udp_txq *q, int from)
{
    int nmsg = 0, niov = 0;
    for (int i = from; i < q->n; nmsg++) {
        const struct entry *head = &q->e[i];
        uint32_t size = head->len + head->pad;
        int k = 0;
        struct iovec *iov = &q->iov[niov];
        do {
            const struct entry *e = &q->e[i + k];
            q->iov[niov++] = (struct iovec){(void *)e->data, e->len};
            if (e->pad)
                q->iov[niov++] = (struct iovec){(void *)zeros, e->pad};
            k++;
        } while (q->cfg.gso && i + k < q->n && k < VP_UDP_GSO_SEGMENTS &&
                 (uint64_t)(k + 1) * size <= VP_UDP_GSO_BYTES && same_message(head, &q->e[i + k]));
        struct msghdr *m = &q->msg[nmsg].msg_hdr;
        *m = (struct msghdr){.msg_iov = iov, .msg_iovlen = (size_t)(&q->iov[niov] - iov)};
        if (head->to_len) {
            m->msg_name = (void *)&head->to;
            m->msg_namelen = head->to_len;
        } else if (q->cfg.to) {
            m->msg_name = (void *)q->cfg.to;
            m->msg_namelen = q->cfg.to_len;
        }
        if (k > 1) { /* cut by the kernel into datagrams of the size */
            m->msg_control = q->control[nmsg];
            m->msg_controllen = sizeof q->control[nmsg];
            struct cmsghdr *c = CMSG_FIRSTHDR(m);
            c->cmsg_level = SOL_UDP;
            c->cmsg_type = UDP_SEGMENT;
            c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
            uint16_t gso = (uint16_t)size;
            memcpy(CMSG_DATA(c), &gso, sizeof gso);
        }
        q->first[nmsg] = i;
        i += k;
    }
    q->first[nmsg] = q->n;
    return nmsg;
}

int vp_udp_txq_flush(struct vp_udp_txq *q)
{
    int taken = 0, nmsg = messages(q, 0), done = 0;
    while (done < nmsg) {
        q->st.calls++;
        int sent = sendmmsg(q->cfg.fd, q->msg + done, (unsigned)(nmsg - done), 0);
        if (sent < 0 && errno == EINTR)
            continue;
        int count = sent < 0 ? 0 : sent;
        for (int m = done; m < done + count; m++)
            taken += q->first[m + 1] - q->first[m];
        done += count;
        if (sent >= 0)
            continue;
        int lost = q->first[done + 1] - q->first[done];
        if (lost > 1 && (errno == EINVAL || errno == EIO || errno == ENOPROTOOPT)) {
            q->cfg.gso = false; /* no UDP GSO on this path: one datagram per message */
            int from = q->first[done];
            memmove(q->e, q->e + from, (size_t)(q->n - from) * sizeof q->e[0]);
            q->n -= from;
            nmsg = messages(q, 0);
            done = 0;
            continue;
        }
        q->st.refused++;
        if (q->cfg.stop_on_error) {
            q->st.dropped += (uint64_t)(q->first[nmsg] - q->first[done]);
            break;
        }
        q->st.dropped += (uint64_t)lost;
        done++;
    }
    q->n = 0;
    q->st.sent += (uint64_t)taken;
    return taken;
}

int vp_udp_txq_count(const struct vp_udp_txq *q)
{
    return q->n;
}

bool vp_udp_txq_gso(const struct vp_udp_txq *q)
{
    return q->cfg.gso;
}

const struct vp_udp_txq_stats *vp_udp_txq_stats(const struct vp_udp_txq *q)
{
    return &q->st;
}
