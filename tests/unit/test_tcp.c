/* The TCP load (net/tcp_*): the wire's preamble, frames, HELLO and sample
 * records round-trip and refuse what is not theirs; the control channel
 * reassembles frames that come in pieces and says when the peer closed;
 * over loopback, a sink serving a generator of three (and of ten) streams
 * in both directions receives exactly what was sent on every stream, and the
 * intervals add up to the whole; a second generator meanwhile is turned
 * away; bad input, a refused connection and one that is never accepted are
 * errors, never hangs. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "core/clock.h"
#include "net/tcp_gen.h"
#include "net/tcp_sink.h"
#include "net/tcp_sock.h"
#include "net/tcp_wire.h"

static void test_preamble(void)
{
    uint8_t p[VP_TCP_PREAMBLE];
    struct vp_tcp_preamble in = {VP_TCP_MAGIC_STREAM, 77, 0x0102030405060708ull}, out;
    vp_tcp_preamble_put(p, &in);
    CHECK(vp_tcp_preamble_get(p, &out));
    CHECK_INT(out.magic, VP_TCP_MAGIC_STREAM);
    CHECK_INT(out.stream, 77);
    CHECK(out.token == in.token);
    p[4] = VP_TCP_VERSION + 1; /* another version */
    CHECK(!vp_tcp_preamble_get(p, &out));
    vp_tcp_preamble_put(p, &in);
    p[0] ^= 0xff; /* not ours */
    CHECK(!vp_tcp_preamble_get(p, &out));
}

static void test_frame_and_hello(void)
{
    uint8_t h[VP_TCP_FRAME_HEADER], type;
    uint32_t len;
    vp_tcp_frame_put(h, VP_TCP_SAMPLE, 1234);
    CHECK_INT(vp_tcp_frame_get(h, &type, &len), 0);
    CHECK_INT(type, VP_TCP_SAMPLE);
    CHECK_INT(len, 1234);
    vp_tcp_frame_put(h, 0, 4);
    CHECK_INT(vp_tcp_frame_get(h, &type, &len), -EBADMSG);
    vp_tcp_frame_put(h, VP_TCP_REPORT + 1, 4);
    CHECK_INT(vp_tcp_frame_get(h, &type, &len), -EBADMSG);
    vp_tcp_frame_put(h, VP_TCP_HELLO, VP_TCP_BODY_MAX + 1);
    CHECK_INT(vp_tcp_frame_get(h, &type, &len), -EBADMSG);

    uint8_t b[VP_TCP_HELLO_SIZE];
    struct vp_tcp_hello in = {4, VP_TCP_BOTH, 131072, 0, 10000000000ull, 1000000000ull}, out;
    vp_tcp_hello_put(b, &in);
    CHECK_INT(vp_tcp_hello_get(b, sizeof b, &out), 0);
    CHECK(out.streams == 4 && out.dir == VP_TCP_BOTH && out.length == 131072 && out.window == 0 &&
          out.duration_ns == in.duration_ns && out.interval_ns == in.interval_ns);
    CHECK_INT(vp_tcp_hello_get(b, sizeof b - 1, &out), -EBADMSG);
    /* each value out of range */
    struct vp_tcp_hello bad[] = {
        {0, VP_TCP_UP, 1, 0, 1, 1000000}, {VP_TCP_STREAMS_MAX + 1, VP_TCP_UP, 1, 0, 1, 1000000},
        {1, 0, 1, 0, 1, 1000000},         {1, VP_TCP_BOTH + 1, 1, 0, 1, 1000000},
        {1, VP_TCP_UP, 0, 0, 1, 1000000}, {1, VP_TCP_UP, (16u << 20) + 1, 0, 1, 1000000},
        {1, VP_TCP_UP, 1, 0, 1, 999999},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vp_tcp_hello_put(b, &bad[i]);
        CHECK_INT(vp_tcp_hello_get(b, sizeof b, &out), -EBADMSG);
    }
}

static void test_sample(void)
{
    struct vp_tcp_fig f[3] = {{1, 2, 3, 4, 5, 6, 7, 0},
                              {UINT64_MAX, 0, UINT32_MAX, 0, 0, 10, 1460, VP_TCP_FIG_ERROR},
                              {0}},
                      g[3];
    for (int report = 0; report < 2; report++) {
        struct vp_tcp_sample in = {9, 123456789, 11, 12, 13, 14, 15, 3, f};
        struct vp_tcp_sample out = {.n = 3, .fig = g};
        size_t size = vp_tcp_sample_size(3, report);
        CHECK_INT(size, (report ? VP_TCP_REPORT_HEAD : VP_TCP_SAMPLE_HEAD) + 3 * VP_TCP_RECORD);
        uint8_t *b = malloc(size);
        vp_tcp_sample_put(b, &in, report);
        CHECK_INT(vp_tcp_sample_get(b, size, &out, report), 0);
        CHECK(memcmp(f, g, sizeof f) == 0);
        if (report)
            CHECK(out.rx_elapsed_ns == 11 && out.rx_cpu_ns == 12 && out.tx_busy_ns == 15);
        else
            CHECK(out.index == 9 && out.elapsed_ns == 123456789);
        out.n = 2; /* a body for three records is not one for two */
        CHECK_INT(vp_tcp_sample_get(b, size, &out, report), -EBADMSG);
        free(b);
    }
}

/* Frames written a byte at a time, two in one write, garbage, the end. */
static void test_ctl(void)
{
    int sv[2];
    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    struct vp_tcp_ctl c;
    vp_tcp_ctl_init(&c, sv[1]);
    uint8_t type;
    const uint8_t *body;
    uint32_t len;
    uint8_t frame[VP_TCP_FRAME_HEADER + 4];
    vp_tcp_frame_put(frame, VP_TCP_STOP, 4);
    memcpy(frame + VP_TCP_FRAME_HEADER, "\0\0\0\5", 4);
    for (size_t i = 0; i < sizeof frame - 1; i++) {
        CHECK_INT(write(sv[0], frame + i, 1), 1);
        CHECK_INT(vp_tcp_ctl_recv(&c, 0, &type, &body, &len), 0); /* not whole yet */
    }
    CHECK_INT(write(sv[0], frame + sizeof frame - 1, 1), 1);
    CHECK_INT(vp_tcp_ctl_recv(&c, 0, &type, &body, &len), 1);
    CHECK(type == VP_TCP_STOP && len == 4 && body[3] == 5);
    uint8_t two[2 * VP_TCP_FRAME_HEADER];
    vp_tcp_frame_put(two, VP_TCP_READY, 0);
    vp_tcp_frame_put(two + VP_TCP_FRAME_HEADER, VP_TCP_START, 0);
    CHECK_INT(write(sv[0], two, sizeof two), (int)sizeof two);
    CHECK_INT(vp_tcp_ctl_recv(&c, vp_now_ns() + 1000000000ull, &type, &body, &len), 1);
    CHECK_INT(type, VP_TCP_READY);
    CHECK_INT(vp_tcp_ctl_recv(&c, 0, &type, &body, &len), 1);
    CHECK_INT(type, VP_TCP_START);
    /* nothing more: the deadline passes */
    uint64_t t0 = vp_now_ns();
    CHECK_INT(vp_tcp_ctl_recv(&c, t0 + 50000000, &type, &body, &len), 0);
    CHECK(vp_now_ns() - t0 >= 40000000);
    close(sv[0]);
    CHECK_INT(vp_tcp_ctl_recv(&c, vp_now_ns() + 1000000000ull, &type, &body, &len), -ECONNRESET);
    vp_tcp_ctl_free(&c);

    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    vp_tcp_ctl_init(&c, sv[1]);
    CHECK_INT(write(sv[0], "GET / HTTP/1.1\r\n", 16), 16);
    CHECK_INT(vp_tcp_ctl_recv(&c, vp_now_ns() + 1000000000ull, &type, &body, &len), -EBADMSG);
    close(sv[0]);
    vp_tcp_ctl_free(&c);
}

struct sink_thread {
    struct vp_tcp_sink *k;
    int want; /* runs to serve */
    struct vp_tcp_sink_run runs[2];
    int served;
};

static void *sink_loop(void *arg)
{
    struct sink_thread *t = arg;
    uint64_t end = vp_now_ns() + 20000000000ull;
    while (t->served < t->want && vp_now_ns() < end)
        if (vp_tcp_sink_serve(t->k, 100, &t->runs[t->served]) == 1)
            t->served++;
    return NULL;
}

static struct sockaddr_storage loopback(int port, socklen_t *len)
{
    struct sockaddr_storage ss = {0};
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    *len = sizeof *a;
    return ss;
}

static struct vp_tcp_gen_cfg gen_cfg(int port, int streams, int dir, uint64_t duration_ns)
{
    struct vp_tcp_gen_cfg c = {.streams = streams,
                               .dir = dir,
                               .length = 65536,
                               .duration_ns = duration_ns,
                               .interval_ns = 100000000,
                               .connect_timeout_ns = 2000000000ull,
                               .token = 0x5eed0000u + (uint64_t)port};
    c.to = loopback(port, &c.to_len);
    return c;
}

static int intervals_seen;
static void count_interval(void *arg, const struct vp_tcp_result *r, int k)
{
    (void)arg;
    (void)r;
    CHECK_INT(k, intervals_seen + 1); /* in order, each once */
    intervals_seen = k;
}

/* Both directions: exact per stream, intervals add up. Three streams get a
 * thread each (blocking calls); ten share eight threads (epoll for some). */
static void loopback_both(int streams)
{
    socklen_t len;
    struct sockaddr_storage at = loopback(0, &len);
    struct vp_err err = {0};
    struct sink_thread t = {.want = 1};
    CHECK_INT(vp_tcp_sink_open(&at, len, &t.k, &err), 0);
    pthread_t th;
    pthread_create(&th, NULL, sink_loop, &t);
    struct vp_tcp_gen_cfg c = gen_cfg(vp_tcp_sink_port(t.k), streams, VP_TCP_BOTH, 350000000);
    c.on_interval = count_interval;
    intervals_seen = 0;
    struct vp_tcp_result r;
    int rc = vp_tcp_gen_run(&c, &r, &err);
    if (rc < 0)
        fprintf(stderr, "  %s\n", err.msg);
    CHECK_INT(rc, 0);
    pthread_join(th, NULL);
    vp_tcp_sink_close(t.k);
    CHECK_INT(t.served, 1);
    CHECK(t.runs[0].ok);
    /* 0.1, 0.2, 0.3 and the rest to the end (fewer only when a loaded
     * machine kept the generator from an interval's end until the last) */
    CHECK(vp_tcp_intervals(&r) >= 1 && vp_tcp_intervals(&r) <= 4);
    CHECK_INT(intervals_seen, vp_tcp_intervals(&r));
    uint64_t up = 0, down = 0;
    for (int dir = VP_TCP_UP; dir <= VP_TCP_DOWN; dir++) {
        for (int s = 0; s < streams; s++) {
            struct vp_tcp_span whole, iv;
            vp_tcp_span_of(&r, 0, s, dir, &whole);
            CHECK(whole.received > 0);
            CHECK(whole.sent == whole.received); /* TCP, a clean end: exact */
            uint64_t sum = 0;
            for (int k = 1; k <= vp_tcp_intervals(&r); k++) {
                vp_tcp_span_of(&r, k, s, dir, &iv);
                sum += iv.received;
            }
            CHECK(sum == whole.received);
            CHECK(whole.snd_mss > 0);
            *(dir == VP_TCP_UP ? &up : &down) += whole.received;
        }
        struct vp_tcp_span all;
        vp_tcp_span_of(&r, 0, -1, dir, &all);
        CHECK(all.received == (dir == VP_TCP_UP ? up : down));
        CHECK(all.seconds >= 0.35 && all.seconds < 5);
        CHECK(all.bits_per_second > 0);
    }
    CHECK(t.runs[0].rx_bytes == up && t.runs[0].tx_bytes == down);
    CHECK_INT(t.runs[0].streams, streams);
    CHECK_INT(t.runs[0].dir, VP_TCP_BOTH);
    CHECK(r.tx.busy_ns > 0 && r.rx.busy_ns > 0 && r.sink_rx_busy_ns > 0 && r.sink_tx_busy_ns > 0);
    CHECK_INT(r.tx.threads, streams < VP_TCP_PUMP_THREADS ? streams : VP_TCP_PUMP_THREADS);
    vp_tcp_result_free(&r);
}

static void test_loopback_both(void)
{
    loopback_both(3);
    loopback_both(10);
}

struct gen_thread {
    struct vp_tcp_gen_cfg c;
    struct vp_tcp_result r;
    struct vp_err err;
    int rc;
};

static void *gen_loop(void *arg)
{
    struct gen_thread *g = arg;
    g->rc = vp_tcp_gen_run(&g->c, &g->r, &g->err);
    return NULL;
}

/* A second generator while a run is on: refused, the first unharmed. */
static void test_busy(void)
{
    socklen_t len;
    struct sockaddr_storage at = loopback(0, &len);
    struct vp_err err = {0};
    struct sink_thread t = {.want = 1};
    CHECK_INT(vp_tcp_sink_open(&at, len, &t.k, &err), 0);
    pthread_t th, g1;
    pthread_create(&th, NULL, sink_loop, &t);
    struct gen_thread first = {.c = gen_cfg(vp_tcp_sink_port(t.k), 1, VP_TCP_UP, 600000000)};
    pthread_create(&g1, NULL, gen_loop, &first);
    usleep(200000);
    struct vp_tcp_gen_cfg c = gen_cfg(vp_tcp_sink_port(t.k), 1, VP_TCP_UP, 100000000);
    struct vp_tcp_result r;
    CHECK(vp_tcp_gen_run(&c, &r, &err) < 0);
    CHECK(strstr(err.msg, "busy") != NULL);
    vp_tcp_result_free(&r);
    pthread_join(g1, NULL);
    pthread_join(th, NULL);
    CHECK_INT(first.rc, 0);
    CHECK(t.runs[0].ok && t.runs[0].rx_bytes > 0);
    vp_tcp_result_free(&first.r);
    vp_tcp_sink_close(t.k);
}

/* Bad input, nobody listening, a listener that never accepts. */
static void test_bad(void)
{
    struct vp_err err = {0};
    struct vp_tcp_result r;
    struct vp_tcp_gen_cfg c = gen_cfg(9, 0, VP_TCP_UP, 100000000);
    CHECK_INT(vp_tcp_gen_run(&c, &r, &err), -EINVAL);
    vp_tcp_result_free(&r);
    c = gen_cfg(9, VP_TCP_STREAMS_MAX + 1, VP_TCP_UP, 100000000);
    CHECK_INT(vp_tcp_gen_run(&c, &r, &err), -EINVAL);
    vp_tcp_result_free(&r);

    /* a port nobody listens on: a socket bound, never listening */
    socklen_t len;
    struct sockaddr_storage at = loopback(0, &len);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_INT(bind(fd, (struct sockaddr *)&at, len), 0);
    getsockname(fd, (struct sockaddr *)&at, &len);
    c = gen_cfg(ntohs(((struct sockaddr_in *)&at)->sin_port), 1, VP_TCP_UP, 100000000);
    CHECK_INT(vp_tcp_gen_run(&c, &r, &err), -ECONNREFUSED);
    CHECK(strstr(err.msg, "refused") != NULL);
    vp_tcp_result_free(&r);
    close(fd);

    /* a listener whose queue is full: the SYN goes unanswered */
    at = loopback(0, &len);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_INT(bind(fd, (struct sockaddr *)&at, len), 0);
    CHECK_INT(listen(fd, 0), 0);
    getsockname(fd, (struct sockaddr *)&at, &len);
    int filler[4];
    for (int i = 0; i < 4; i++) {
        filler[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect(filler[i], (struct sockaddr *)&at, len);
    }
    usleep(50000);
    c = gen_cfg(ntohs(((struct sockaddr_in *)&at)->sin_port), 1, VP_TCP_UP, 100000000);
    c.connect_timeout_ns = 300000000;
    uint64_t t0 = vp_now_ns();
    int rc = vp_tcp_gen_run(&c, &r, &err);
    CHECK(rc < 0);
    CHECK(vp_now_ns() - t0 < 12000000000ull); /* never a hang */
    CHECK(strstr(err.msg, "no answer in 0.3 s") != NULL);
    vp_tcp_result_free(&r);
    for (int i = 0; i < 4; i++)
        close(filler[i]);
    close(fd);
}

int main(void)
{
    RUN(test_preamble);
    RUN(test_frame_and_hello);
    RUN(test_sample);
    RUN(test_ctl);
    RUN(test_loopback_both);
    RUN(test_busy);
    RUN(test_bad);
    return CHECK_DONE();
}
