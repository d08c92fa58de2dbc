/* The UDP engine's transmit queue and raw receiver (net/udp_batch.h,
 * net/udp_engine.h) on loopback: datagrams queued with GSO arrive one by
 * one, whole and in order, at a plain socket and, split by the engine, at a
 * UDP_GRO one; the caller's buffers and zero padding go out as written;
 * datagrams to two destinations reach each its own; sockets of their own
 * ports; and the phase wheel's deadlines. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "net/udp_batch.h"
#include "net/udp_engine.h"
#include "net/pace.h"

#define N    150
#define SIZE 200

struct got {
    int n, bad, sock_seen[2];
    uint64_t stamps[N];
};

/* Datagram k: SIZE bytes, the first two k, the rest k's low byte. */
static void fill(uint8_t *p, int k)
{
    memset(p, k & 0xFF, SIZE);
    p[0] = (uint8_t)(k >> 8);
    p[1] = (uint8_t)k;
}

static void on_datagram(void *arg, struct vp_udp_pkt *p)
{
    struct got *g = arg;
    uint8_t want[SIZE];
    fill(want, g->n);
    if (p->size != SIZE || p->kept != SIZE || memcmp(p->data, want, SIZE) != 0)
        g->bad++;
    if (g->n < N)
        g->stamps[g->n] = p->rx_ns;
    g->sock_seen[p->sock & 1]++;
    g->n++;
}

static void open_rx(struct vp_udp_rx **rx, bool gro, bool own, int sockets)
{
    struct vp_udp_rx_cfg c = {.at_len = sizeof(struct sockaddr_in),
                              .sockets = sockets,
                              .batch = 16,
                              .own_ports = own,
                              .gro = gro};
    struct sockaddr_in *a = (struct sockaddr_in *)&c.at;
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct vp_err err = {0};
    CHECK_INT(vp_udp_rx_open(&c, rx, &err), 0);
}

static struct sockaddr_in to_port(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

/* N datagrams through the queue (cap 64: it flushes when full) to one
 * receiver: every one arrives, in order, as sent. */
static void send_and_check(bool gro)
{
    struct vp_udp_rx *rx;
    open_rx(&rx, gro, false, 1);
    struct sockaddr_in to = to_port(vp_udp_rx_port(rx));
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct vp_udp_txq *q;
    struct vp_udp_txq_cfg qc = {.fd = fd,
                                .cap = 64,
                                .slot = SIZE,
                                .gso = true,
                                .to = (struct sockaddr *)&to,
                                .to_len = sizeof to};
    struct vp_err err = {0};
    CHECK_INT(vp_udp_txq_open(&qc, &q, &err), 0);
    static uint8_t refs[3][SIZE];
    for (int k = 0; k < N; k++) {
        if (k >= N - 3) { /* the last three from the caller's buffers, half of each as padding */
            fill(refs[k - (N - 3)], k);
            memset(refs[k - (N - 3)] + SIZE / 2, 0, SIZE / 2);
            refs[k - (N - 3)][SIZE / 2] = 1; /* not sent: the padding is zeros */
            vp_udp_txq_push_ref(q, refs[k - (N - 3)], SIZE / 2, SIZE / 2, NULL, 0);
            continue;
        }
        uint8_t *p = vp_udp_txq_slot(q);
        fill(p, k);
        vp_udp_txq_push(q, SIZE, NULL, 0);
    }
    int last = vp_udp_txq_flush(q);
    CHECK_INT(last, N - 128); /* two full queues went before */
    CHECK_INT(vp_udp_txq_count(q), 0);
    CHECK_INT(vp_udp_txq_stats(q)->refused, 0);
    if (vp_udp_txq_gso(q)) /* one message per run of 64 at most */
        CHECK(vp_udp_txq_stats(q)->calls <= 3);
    struct got g = {0};
    static const struct vp_udp_rx_ops ops = {on_datagram, NULL};
    for (int i = 0; i < 50 && g.n < N; i++)
        vp_udp_rx_read(rx, 0, 100, &ops, &g);
    CHECK_INT(g.n, N);
    CHECK_INT(g.bad, 3); /* the three padded ones differ from fill() past the half */
    CHECK(g.stamps[0] > 0 && g.stamps[N - 1] >= g.stamps[0]);
    CHECK_INT(vp_udp_rx_drops(rx), 0);
    CHECK_INT(vp_udp_txq_stats(q)->sent, N);
    vp_udp_txq_close(q);
    close(fd);
    vp_udp_rx_close(rx);
}

static void test_gso_plain(void)
{
    send_and_check(false);
}

static void test_gso_gro(void)
{
    send_and_check(true);
}

/* Alternate destinations: no message may merge them; each receiver gets
 * its own half. Sockets of their own ports differ. */
static void test_two_destinations(void)
{
    struct vp_udp_rx *rx;
    open_rx(&rx, false, true, 2);
    CHECK(vp_udp_rx_sock_port(rx, 0) != vp_udp_rx_sock_port(rx, 1));
    struct sockaddr_in to[2] = {to_port(vp_udp_rx_sock_port(rx, 0)),
                                to_port(vp_udp_rx_sock_port(rx, 1))};
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct vp_udp_txq *q;
    struct vp_udp_txq_cfg qc = {.fd = fd, .cap = 32, .slot = SIZE, .gso = true};
    struct vp_err err = {0};
    CHECK_INT(vp_udp_txq_open(&qc, &q, &err), 0);
    for (int k = 0; k < 20; k++) {
        memset(vp_udp_txq_slot(q), k, SIZE);
        vp_udp_txq_push(q, SIZE, (struct sockaddr *)&to[k / 5 % 2], sizeof to[0]);
    }
    CHECK_INT(vp_udp_txq_flush(q), 20);
    struct got g = {0};
    static const struct vp_udp_rx_ops ops = {on_datagram, NULL};
    for (int i = 0; i < 50 && g.n < 20; i++)
        vp_udp_rx_poll_raw(rx, 100, &ops, &g);
    CHECK_INT(g.n, 20);
    CHECK_INT(g.sock_seen[0], 10);
    CHECK_INT(g.sock_seen[1], 10);
    vp_udp_txq_close(q);
    close(fd);
    vp_udp_rx_close(rx);
}

/* Phases i·period/n, rounded down to the tick; the cursor goes round. */
static void test_wheel(void)
{
    struct vp_pace_wheel w;
    vp_pace_wheel_init(&w, 1000, 20000, 3000, 4);
    CHECK_INT(vp_pace_wheel_due(&w, 0, 0), 1000);
    CHECK_INT(vp_pace_wheel_due(&w, 1, 0), 1000 + 3000); /* 5000 → 3000 */
    CHECK_INT(vp_pace_wheel_due(&w, 2, 0), 1000 + 9000); /* 10000 → 9000 */
    CHECK_INT(vp_pace_wheel_due(&w, 3, 2), 1000 + 15000 + 40000);
    for (int i = 0; i < 5; i++)
        vp_pace_wheel_advance(&w);
    CHECK_INT(w.cur, 1);
    CHECK_INT(w.round, 1);
    CHECK_INT(vp_pace_wheel_next(&w), 1000 + 3000 + 20000);
}

static void test_bad_input(void)
{
    struct vp_udp_txq *q;
    struct vp_err err = {0};
    struct vp_udp_txq_cfg qc = {.fd = -1, .cap = 0};
    CHECK_INT(vp_udp_txq_open(&qc, &q, &err), -EINVAL);
    qc.cap = VP_UDP_BATCH_MAX + 1;
    CHECK_INT(vp_udp_txq_open(&qc, &q, &err), -EINVAL);
}

int main(void)
{
    RUN(test_gso_plain);
    RUN(test_gso_gro);
    RUN(test_two_destinations);
    RUN(test_wheel);
    RUN(test_bad_input);
    return CHECK_DONE();
}
