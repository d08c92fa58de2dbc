/* The UDP engine (net/): a flow's exact accounting (received, lost,
 * duplicates, reordered, too late for the window, RFC 3550 jitter, one-way
 * delay); the test datagram's header; a paced sender and a receiver of two
 * SO_REUSEPORT sockets on loopback: every datagram the sender gave a
 * sequence number arrives once unless the kernel counted a receive-buffer
 * drop, sent ≈ planned, and an echoing sink returns what it got; bad
 * sizes and batches are input errors. Per interval, a flow counts each
 * datagram in the interval of its send stamp, and the intervals add up to
 * the totals; the control datagrams read back what was written; and a
 * whole run of udp-gen against a sink, both directions at once at a low
 * rate, is exact to the datagram in each, in total and per interval. */
#include <arpa/inet.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>

#include "check.h"
#include "core/clock.h"
#include "net/udp_ctl.h"
#include "net/udp_engine.h"
#include "net/udp_flow.h"
#include "net/udp_gen.h"
#include "net/udp_sink.h"

static struct vp_udp_flow flow;

static void test_flow_counts(void)
{
    vp_udp_flow_init(&flow);
    uint64_t seqs[] = {0, 1, 3, 2, 2, 5, 6};
    enum vp_udp_verdict want[] = {VP_UDP_NEW,       VP_UDP_NEW, VP_UDP_NEW, VP_UDP_REORDERED,
                                  VP_UDP_DUPLICATE, VP_UDP_NEW, VP_UDP_NEW};
    for (int i = 0; i < 7; i++)
        CHECK_INT(vp_udp_flow_add(&flow, seqs[i], 100, 0, 0, false), want[i]);
    CHECK_INT(flow.received, 6); /* 0 1 2 3 5 6 */
    CHECK_INT(flow.bytes, 600);
    CHECK_INT(flow.duplicates, 1);
    CHECK_INT(flow.reordered, 1);
    CHECK_INT(vp_udp_flow_lost(&flow, 8), 2); /* 4 and 7 */
    CHECK_INT(flow.delay.count, 0);           /* clocks not shared: no delay */
}

/* The window slides: a sequence number far behind is too late to tell from
 * a duplicate; one inside it after a long jump is still new once, then a
 * duplicate. */
static void test_flow_window(void)
{
    vp_udp_flow_init(&flow);
    vp_udp_flow_add(&flow, 0, 64, 0, 0, false);
    uint64_t far = VP_UDP_FLOW_WINDOW + 10;
    CHECK_INT(vp_udp_flow_add(&flow, far, 64, 0, 0, false), VP_UDP_NEW);
    CHECK_INT(vp_udp_flow_add(&flow, 5, 64, 0, 0, false), VP_UDP_TOO_LATE);
    CHECK_INT(vp_udp_flow_add(&flow, far - 3, 64, 0, 0, false), VP_UDP_REORDERED);
    CHECK_INT(vp_udp_flow_add(&flow, far - 3, 64, 0, 0, false), VP_UDP_DUPLICATE);
    /* bits of sequence numbers passed over are cleared, across words */
    for (uint64_t s = far + 1; s < far + 200; s += 2)
        vp_udp_flow_add(&flow, s, 64, 0, 0, false);
    CHECK_INT(vp_udp_flow_add(&flow, far + 2, 64, 0, 0, false), VP_UDP_REORDERED);
    CHECK_INT(flow.too_late, 1);
    CHECK_INT(flow.duplicates, 1);
}

/* RFC 3550 §6.4.1 by hand: transits 100, 200, 100 ns. */
static void test_flow_jitter_delay(void)
{
    vp_udp_flow_init(&flow);
    vp_udp_flow_add(&flow, 0, 64, 1000, 1100, true);
    vp_udp_flow_add(&flow, 1, 64, 2000, 2200, true);
    vp_udp_flow_add(&flow, 2, 64, 3000, 3100, true);
    CHECK_NEAR(flow.jitter_ns, 100.0 / 16 + (100 - 100.0 / 16) / 16, 1e-9);
    CHECK_INT(flow.delay.count, 3);
    CHECK_INT(flow.delay.min, 100);
    CHECK_INT(flow.delay.max, 200);
}

/* Datagrams in the interval of their send stamps, clamped to the run's. */
static void test_flow_intervals(void)
{
    CHECK_INT(vp_udp_interval_of(999, 1000, 100, 5), 0); /* before the epoch */
    CHECK_INT(vp_udp_interval_of(1199, 1000, 100, 5), 1);
    CHECK_INT(vp_udp_interval_of(9000, 1000, 100, 5), 4); /* after the last */
    vp_udp_flow_init(&flow);
    CHECK_INT(vp_udp_flow_intervals(&flow, 1000, 100, 3), 0);
    /* seq: stamp; 2 is lost, 3 arrives after 4, 5 twice */
    uint64_t seq[] = {0, 1, 4, 3, 5, 5, 6}, tx[] = {1000, 1050, 1150, 1120, 1210, 1210, 1290};
    for (int i = 0; i < 7; i++)
        vp_udp_flow_add(&flow, seq[i], 64, tx[i], tx[i] + 10 * (uint64_t)(i + 1), true);
    struct vp_udp_ival *iv = flow.iv;
    CHECK(iv[0].received == 2 && iv[1].received == 2 && iv[2].received == 2);
    CHECK(iv[1].reordered == 1 && iv[2].duplicates == 1);
    CHECK_INT(iv[0].delay_count, 2);
    CHECK_INT(iv[0].delay_sum_ns, 30);
    CHECK_INT(iv[2].delay_max_ns, 70);
    uint64_t got = 0, late = 0;
    for (int i = 0; i < 3; i++)
        got += iv[i].received, late += iv[i].too_late;
    CHECK_INT(got, flow.received);
    CHECK_INT(iv[2].jitter_ns, (uint64_t)flow.jitter_ns);
    vp_udp_flow_free(&flow);
}

/* What is written is read back; a short body is refused. */
static void test_control(void)
{
    uint8_t p[VP_UDP_REPLY_MAX];
    struct vp_udp_header h = {VP_UDP_START, 1, 0, 5, 77};
    struct vp_udp_start s = {.interval_ns = 1000000000,
                             .epoch_ns = 123,
                             .nintervals = 10,
                             .directions = VP_UDP_UP | VP_UDP_DOWN,
                             .down_flow = 2,
                             .down_port = 4242,
                             .down_size = 1472,
                             .down_batch = 32,
                             .down_rate = 1234.5,
                             .down_duration_ns = 7},
                        g;
    size_t len = vp_udp_start_put(p, &h, &s);
    CHECK(vp_udp_start_get(p, len, &g));
    CHECK(g.interval_ns == s.interval_ns && g.epoch_ns == 123 && g.nintervals == 10 &&
          g.directions == 3 && g.down_flow == 2 && g.down_port == 4242 && g.down_size == 1472 &&
          g.down_batch == 32 && g.down_rate == 1234.5 && g.down_duration_ns == 7);
    CHECK(!vp_udp_start_get(p, VP_UDP_HEADER + 8, &g));
    vp_udp_flow_init(&flow);
    CHECK_INT(vp_udp_flow_intervals(&flow, 0, 10, 40), 0);
    for (uint64_t i = 0; i < 40; i++)
        vp_udp_flow_add(&flow, i, 64, i * 10, i * 10 + 1000 + i, true);
    struct vp_udp_page pg, back;
    vp_udp_page_of_intervals(&flow, 16, &pg);
    CHECK(pg.count == VP_UDP_PAGE_INTERVALS_MAX && pg.next == 32);
    len =
        vp_udp_page_put(p, &(struct vp_udp_header){VP_UDP_PAGE | VP_UDP_REPORT, 1, 16, 0, 77}, &pg);
    CHECK(len <= VP_UDP_REPLY_MAX);
    CHECK(vp_udp_page_get(p, len, &back) && back.first == 16 && back.count == pg.count);
    CHECK(back.iv[3].received == 1 && back.iv[3].delay_sum_ns == 1000 + 19);
    CHECK(!vp_udp_page_get(p, len - 8, &back));
    vp_udp_page_of_intervals(&flow, 32, &pg);
    CHECK(pg.count == 8 && pg.next == 40);
    uint64_t buckets = 0;
    for (uint64_t first = 0; first < VP_HIST_BUCKETS; first = pg.next) {
        vp_udp_page_of_buckets(&flow, first, &pg);
        for (uint32_t i = 0; i < pg.count; i++)
            buckets += pg.bucket[i][1];
    }
    CHECK_INT(buckets, 40);
    vp_udp_flow_free(&flow);
}

static void test_header(void)
{
    uint8_t p[VP_UDP_MIN_SIZE] = {0};
    struct vp_udp_header h = {VP_UDP_ECHOED, 7, 0x0102030405060708ull, 42, 0xfeedull}, g;
    vp_udp_header_put(p, &h);
    CHECK(vp_udp_header_get(p, sizeof p, &g));
    CHECK(g.flags == h.flags && g.flow == 7 && g.seq == h.seq && g.tx_ns == 42 &&
          g.token == 0xfeed);
    CHECK(!vp_udp_header_get(p, VP_UDP_HEADER - 1, &g)); /* too short */
    p[0] ^= 1;
    CHECK(!vp_udp_header_get(p, sizeof p, &g)); /* not ours */
}

/* Datagrams the kernel dropped for want of receive buffer, host-wide. */
static long long rcvbuf_errors(void)
{
    FILE *f = fopen("/proc/net/snmp", "r");
    char names[1024], values[1024];
    long long v = -1;
    while (f && fgets(names, sizeof names, f) && fgets(values, sizeof values, f)) {
        if (strncmp(names, "Udp:", 4) != 0)
            continue;
        char *np, *vp, *n = strtok_r(names, " \n", &np), *x = strtok_r(values, " \n", &vp);
        for (; n && x; n = strtok_r(NULL, " \n", &np), x = strtok_r(NULL, " \n", &vp))
            if (strcmp(n, "RcvbufErrors") == 0)
                v = atoll(x);
    }
    if (f)
        fclose(f);
    return v;
}

struct sink {
    struct vp_udp_rx *rx;
    volatile int stop;
    uint64_t foreign;
    int tx_fd;     /* echo: the sender's socket, where the echoes arrive */
    uint64_t back; /* echoes of our datagrams read there */
};

/* The echoes, read while they come (the socket's buffer would overflow). */
static void *echo_reader(void *arg)
{
    struct sink *s = arg;
    uint8_t buf[2048];
    struct vp_udp_header h;
    struct timeval tv = {0, 300000};
    setsockopt(s->tx_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t n;
    while ((n = recv(s->tx_fd, buf, sizeof buf, 0)) > 0 || !s->stop)
        s->back += n == 64 && vp_udp_header_get(buf, (size_t)n, &h) && (h.flags & VP_UDP_ECHOED);
    return NULL;
}

static size_t count(void *arg, const struct vp_udp_dgram *d, uint8_t *reply)
{
    (void)arg, (void)reply;
    vp_udp_flow_add(&flow, d->h.seq, d->size, d->h.tx_ns, d->rx_ns, true);
    return 0;
}

static void *sink_loop(void *arg)
{
    struct sink *s = arg;
    while (!s->stop)
        vp_udp_rx_poll(s->rx, 20, count, NULL, &s->foreign);
    while (vp_udp_rx_poll(s->rx, 100, count, NULL, &s->foreign) > 0) /* what is still queued */
        ;
    return NULL;
}

static void loopback(struct sockaddr_storage *ss, socklen_t *len, int port)
{
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    memset(ss, 0, sizeof *ss);
    in->sin_family = AF_INET;
    in->sin_port = htons((uint16_t)port);
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    *len = sizeof *in;
}

/* A paced sender into two receiving sockets; echo when asked (then the
 * echoes are read back on the sender's socket). */
static void run_pair(double rate, uint64_t duration_ns, bool echo)
{
    struct vp_err err = {0};
    struct vp_udp_rx_cfg rc = {.sockets = 2, .batch = 32, .echo = echo, .token = 99};
    loopback(&rc.at, &rc.at_len, 0);
    struct sink s = {0};
    CHECK_INT(vp_udp_rx_open(&rc, &s.rx, &err), 0);
    if (s.rx == NULL)
        return;
    struct vp_udp_tx_cfg tc = {.size = 64, .rate = rate, .batch = 16, .flow = 1, .token = 99};
    loopback(&tc.to, &tc.to_len, vp_udp_rx_port(s.rx));
    struct vp_udp_tx *tx;
    CHECK_INT(vp_udp_tx_open(&tc, &tx, &err), 0);
    vp_udp_flow_init(&flow);
    long long drops0 = rcvbuf_errors();
    pthread_t th, er;
    s.tx_fd = vp_udp_tx_fd(tx);
    pthread_create(&th, NULL, sink_loop, &s);
    if (echo)
        pthread_create(&er, NULL, echo_reader, &s);
    struct vp_udp_tx_stats st;
    CHECK_INT(vp_udp_tx_run(tx, duration_ns, &st, &err), 0);
    s.stop = 1;
    pthread_join(th, NULL);
    if (echo)
        pthread_join(er, NULL);
    long long drops = rcvbuf_errors() - drops0;
    uint64_t lost = vp_udp_flow_lost(&flow, st.sent);
    fprintf(stderr,
            "  rate %g: sent %llu of %llu planned in %llu calls, late p99 %.0f us; received "
            "%llu, lost %llu (kernel drops %lld), reordered %llu, cpu %.1f%%\n",
            rate, (unsigned long long)st.sent, (unsigned long long)st.planned,
            (unsigned long long)st.calls, vp_hist_percentile(&st.late, 99) / 1e3,
            (unsigned long long)flow.received, (unsigned long long)lost, drops,
            (unsigned long long)flow.reordered, 100.0 * (double)st.cpu_ns / (double)st.elapsed_ns);
    CHECK(st.sent > 0);
    CHECK_INT(flow.duplicates, 0);
    CHECK_INT(s.foreign, 0);
    CHECK(flow.received <= st.sent);
    if (drops == 0) /* (another process's drops would hide ours: then only <=) */
        CHECK_INT(lost, 0);
    if (rate > 0) {
        /* the schedule: never ahead of it; behind it by at most the batches
         * the sender was late by (its lateness, measured) */
        CHECK(st.sent <= st.planned + 1);
        double behind = vp_hist_percentile(&st.late, 100) / 1e9 * rate + tc.batch;
        CHECK((double)st.sent >= (double)st.planned - behind);
    }
    if (echo) { /* every datagram the sink got comes back, flagged */
        fprintf(stderr, "  echoed: %llu of %llu\n", (unsigned long long)s.back,
                (unsigned long long)flow.received);
        if (rcvbuf_errors() - drops0 == 0)
            CHECK_INT(s.back, flow.received);
        CHECK(s.back <= flow.received);
    }
    vp_udp_tx_close(tx);
    vp_udp_rx_close(s.rx);
}

static void test_paced(void)
{
    run_pair(20000, 250000000, false);
}

static void test_unpaced(void)
{
    run_pair(0, 50000000, false);
}

static void test_echo(void)
{
    run_pair(5000, 200000000, true);
}

struct sink_thread {
    struct vp_udp_sink *s;
    volatile int stop;
};

static void *sink_thread(void *arg)
{
    struct sink_thread *t = arg;
    while (!t->stop)
        vp_udp_sink_poll(t->s, 20);
    return NULL;
}

/* Sum of a direction's intervals against its totals. */
static void check_intervals(const struct vp_udp_gen_result *r, int d)
{
    const struct vp_udp_dir *x = &r->dir[d];
    uint64_t sent = 0, received = 0, lost = 0;
    for (uint32_t i = 0; i < r->nintervals; i++) {
        sent += x->iv[i].sent;
        received += x->iv[i].received;
        lost += x->iv[i].sent - x->iv[i].received;
        CHECK(x->iv[i].received <= x->iv[i].sent);
    }
    CHECK_INT(sent, x->sent);
    CHECK_INT(received, x->received);
    CHECK_INT(lost, x->lost);
}

/* udp-gen against a sink, both directions at once, 2000/s each for 0.6 s
 * in intervals of 100 ms: every datagram of each is counted once (unless
 * the kernel counted a receive-buffer drop), the intervals hold 200 ±
 * what lateness explains and add up to the totals. */
static void test_both_directions(void)
{
    struct vp_err err = {0};
    struct vp_udp_rx_cfg rc = {.sockets = 2, .batch = 32};
    loopback(&rc.at, &rc.at_len, 0);
    struct sink_thread t = {0};
    CHECK_INT(vp_udp_sink_open(&rc, &t.s, &err), 0);
    if (t.s == NULL)
        return;
    struct vp_udp_gen_cfg gc = {.size = 100,
                                .rate = 2000,
                                .batch = 8,
                                .duration_ns = 600000000,
                                .interval_ns = 100000000,
                                .directions = VP_UDP_UP | VP_UDP_DOWN,
                                .token = 4242};
    loopback(&gc.to, &gc.to_len, vp_udp_sink_port(t.s));
    pthread_t th;
    pthread_create(&th, NULL, sink_thread, &t);
    long long drops0 = rcvbuf_errors();
    struct vp_udp_gen_result r;
    int rc2 = vp_udp_gen_run(&gc, &r, &err);
    long long drops = rcvbuf_errors() - drops0;
    t.stop = 1;
    pthread_join(th, NULL);
    CHECK_INT(rc2, 0);
    if (rc2 < 0)
        fprintf(stderr, "  %s\n", err.msg);
    CHECK_INT(r.nintervals, 6);
    for (int d = 0; rc2 == 0 && d < 2; d++) {
        const struct vp_udp_dir *x = &r.dir[d];
        fprintf(stderr,
                "  %s: sent %llu of %llu planned, received %llu, lost %llu, late p99 %.0f us\n",
                d ? "down" : "up", (unsigned long long)x->sent, (unsigned long long)x->planned,
                (unsigned long long)x->received, (unsigned long long)x->lost, x->late_p99_ns / 1e3);
        CHECK(x->on && x->sent > 0);
        CHECK_INT(x->duplicates, 0);
        if (drops == 0)
            CHECK_INT(x->lost, 0);
        check_intervals(&r, d);
        /* the plan: 200 a 100 ms interval, off by what the batches' lateness
         * explains (and the START's round trip for the first and last) */
        double slack = x->late_max_ns / 1e9 * gc.rate + gc.batch + 2;
        for (uint32_t i = 1; i + 1 < r.nintervals; i++)
            CHECK(fabs((double)x->iv[i].sent - 200) <= slack);
    }
    /* the sink counted the same */
    const struct vp_udp_sink_flow *fl;
    int n = vp_udp_sink_flows(t.s, &fl);
    CHECK_INT(n, 2);
    if (n == 2 && rc2 == 0) {
        CHECK(!fl[0].down && fl[0].f->received == r.dir[0].received);
        CHECK(fl[1].down && fl[1].sent == r.dir[1].sent);
    }
    CHECK(r.clocks_shared); /* one host, one clock */
    CHECK(r.dir[0].delay.count == r.dir[0].received && r.dir[1].delay.count == r.dir[1].received);
    vp_udp_gen_result_free(&r);
    vp_udp_sink_free(t.s);
}

static void test_bad_input(void)
{
    struct vp_err err = {0};
    struct vp_udp_tx *tx;
    struct vp_udp_tx_cfg tc = {.size = 63, .batch = 1};
    loopback(&tc.to, &tc.to_len, 9);
    CHECK(vp_udp_tx_open(&tc, &tx, &err) < 0 && err.kind == VP_ERR_INPUT);
    CHECK(strstr(err.msg, "size 63") != NULL);
    tc.size = VP_UDP_MAX_SIZE + 1;
    CHECK(vp_udp_tx_open(&tc, &tx, &err) < 0 && strstr(err.msg, "65508") != NULL);
    tc.size = 64;
    tc.batch = 0;
    CHECK(vp_udp_tx_open(&tc, &tx, &err) < 0 && strstr(err.msg, "batch 0") != NULL);
    struct vp_udp_rx *rx;
    struct vp_udp_rx_cfg rc = {.sockets = 0, .batch = 1};
    loopback(&rc.at, &rc.at_len, 0);
    CHECK(vp_udp_rx_open(&rc, &rx, &err) < 0 && strstr(err.msg, "sockets 0") != NULL);
    /* a run of more intervals than it keeps */
    struct vp_udp_gen_cfg gc = {.size = 64,
                                .batch = 1,
                                .duration_ns = 20000000000ull,
                                .interval_ns = 1000000,
                                .directions = VP_UDP_UP,
                                .token = 1};
    struct vp_udp_gen_result r;
    loopback(&gc.to, &gc.to_len, 9);
    CHECK(vp_udp_gen_run(&gc, &r, &err) < 0 && err.kind == VP_ERR_INPUT &&
          strstr(err.msg, "20000 intervals") != NULL);
    vp_udp_gen_result_free(&r);
    /* no sink there: a run error naming it, not a hang */
    gc.interval_ns = 100000000;
    gc.duration_ns = 100000000;
    uint64_t t0 = vp_now_ns();
    CHECK(vp_udp_gen_run(&gc, &r, &err) < 0 && err.kind == VP_ERR_RUN &&
          strstr(err.msg, "no udp-sink answers") != NULL);
    CHECK(vp_now_ns() - t0 < 5000000000ull);
    vp_udp_gen_result_free(&r);
}

int main(void)
{
    RUN(test_flow_counts);
    RUN(test_flow_window);
    RUN(test_flow_jitter_delay);
    RUN(test_flow_intervals);
    RUN(test_control);
    RUN(test_header);
    RUN(test_bad_input);
    RUN(test_paced);
    RUN(test_unpaced);
    RUN(test_echo);
    RUN(test_both_directions);
    return CHECK_DONE();
}
