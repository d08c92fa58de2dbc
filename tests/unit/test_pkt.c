/* The packet generator and sink (net/pkt_frame.h, pkt_gen.h, pkt_sink.h):
 * frames checked byte by byte against a golden frame and an independent
 * builder, checksums against an independent computation, the destination
 * permutation; then, as root, in network namespaces the test makes itself
 * (threads that unshare, veth pairs, bridges and routes with `ip`):
 *   - generator → veth → sink: every frame counted once, TTL as sent (not
 *     forwarded), trials kept apart, duplicates found, both ways of sending,
 *     the frames on the wire as built;
 *   - generator → bridge → two routers (ip_forward, 16 routes each) →
 *     bridge → sink: loss exactly 0, TTL 63, each router's share by its MAC.
 * Not root: the pure checks run, then exit 77. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "netns_util.h"
#include "core/prng.h"
#include "net/pkt_gen.h"
#include "net/pkt_sink.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

#define PORT 9000

/* The first frame of golden_flow(), built by hand (checksum 0x9e97 by a
 * separate computation). */
static const uint8_t golden[60] = {
    0x02, 0x70, 0x6b, 0x00, 0x00, 0x02, 0x02, 0x70, 0x6b, 0x00, 0x00, 0x01, 0x08, 0x00, 0x45,
    0x00, 0x00, 0x2e, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x9e, 0x97, 0xc6, 0x12, 0x00, 0x01,
    0xc6, 0x13, 0x10, 0x01, 0x23, 0x28, 0x23, 0x28, 0x00, 0x1a, 0x00, 0x00, 0x01, 0x23, 0x45,
    0x67, 0x89, 0xab, 0xcd, 0xef, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07};

static const uint8_t mac_t[6] = {0x02, 0x70, 0x6b, 0, 0, 0x01};
static const uint8_t mac_s[6] = {0x02, 0x70, 0x6b, 0, 0, 0x02};

static struct vp_pkt_flow golden_flow(void)
{
    struct vp_pkt_flow f = {.ifindex = 1, .peers = 1, .udp_port = PORT, .trial = 7};
    memcpy(f.src_mac, mac_t, 6);
    memcpy(f.dst_mac[0], mac_s, 6);
    f.src_ip = htonl(0xc6120001);   /* 198.18.0.1 */
    f.dst_base = htonl(0xc6131001); /* 198.19.16.1 */
    f.dst_count = 16;
    f.dst_stride = 256;
    f.frame_len = 60;
    f.token = 0x0123456789abcdefull;
    return f;
}

/* An IPv4 header checksum computed apart from the library's code. */
static uint16_t ref_ip_csum(const uint8_t *ip)
{
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2)
        if (i != 10)
            sum += (uint32_t)ip[i] * 256u + ip[i + 1];
    sum = (sum >> 16) + (sum & 0xffff);
    sum += sum >> 16;
    return (uint16_t)(~sum & 0xffff);
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
}

/* Frame seq of flow f, built here field by field. */
static void ref_frame(const struct vp_pkt_flow *f, const uint8_t *dst_mac, uint32_t dst_ip_host,
                      uint64_t seq, uint8_t *p)
{
    memset(p, 0, f->frame_len);
    memcpy(p, dst_mac, 6);
    memcpy(p + 6, f->src_mac, 6);
    put16(p + 12, 0x0800);
    uint8_t *ip = p + 14;
    ip[0] = 0x45;
    put16(ip + 2, f->frame_len - 14);
    put16(ip + 6, 0x4000);
    ip[8] = 64;
    ip[9] = 17;
    uint32_t src = ntohl(f->src_ip);
    for (int i = 0; i < 4; i++) {
        ip[12 + i] = (uint8_t)(src >> (24 - 8 * i));
        ip[16 + i] = (uint8_t)(dst_ip_host >> (24 - 8 * i));
    }
    put16(ip + 10, ref_ip_csum(ip));
    put16(p + 34, f->udp_port);
    put16(p + 36, f->udp_port);
    put16(p + 38, f->frame_len - 34);
    for (int i = 0; i < 8; i++) {
        p[42 + i] = (uint8_t)(f->token >> (56 - 8 * i));
        p[50 + i] = (uint8_t)(seq >> (56 - 8 * i));
    }
    put16(p + 58, f->trial);
}

static void check_bytes(const uint8_t *got, const uint8_t *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (got[i] != want[i]) {
            fprintf(stderr, "byte %zu: 0x%02x, expected 0x%02x\n", i, got[i], want[i]);
            CHECK(got[i] == want[i]);
            return;
        }
}

static void test_golden_frame(void)
{
    struct vp_pkt_flow f = golden_flow();
    uint8_t p[VP_PKT_MAX_FRAME], r[VP_PKT_MAX_FRAME];
    vp_pkt_frame_build(&f, p);
    check_bytes(p, golden, sizeof golden);
    ref_frame(&f, mac_s, 0xc6131001, 0, r);
    check_bytes(r, golden, sizeof golden); /* the reference builder agrees */
    f.frame_len = 1514;
    vp_pkt_frame_build(&f, p);
    ref_frame(&f, mac_s, 0xc6131001, 0, r);
    check_bytes(p, r, 1514);
}

static void test_csum(void)
{
    /* RFC 1071's example: these words sum to 0xddf2 */
    const uint8_t w[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    CHECK_INT(vp_pkt_csum_fold(vp_pkt_csum_add(0, w, 8)), (uint16_t)~0xddf2);
    /* RFC 1624's update agrees with a full recomputation, on random headers */
    uint64_t st = 42;
    for (int i = 0; i < 100000; i++) {
        uint8_t ip[20];
        for (int k = 0; k < 20; k++)
            ip[k] = (uint8_t)vp_prng_next(&st);
        put16(ip + 10, ref_ip_csum(ip));
        uint16_t hc;
        uint32_t old, nw = (uint32_t)vp_prng_next(&st);
        if (i % 7 == 0)
            nw = 0; /* the edge cases of ones' complement zero */
        if (i % 11 == 0)
            nw = 0xffffffffu;
        memcpy(&hc, ip + 10, 2);
        memcpy(&old, ip + 16, 4);
        memcpy(ip + 16, &nw, 4);
        uint16_t want = htons(ref_ip_csum(ip)), got = vp_pkt_csum_update32(hc, old, nw);
        if (got != want) {
            fprintf(stderr, "case %d: 0x%04x, expected 0x%04x\n", i, got, want);
            CHECK_INT(got, want);
            break;
        }
    }
}

static void test_perm(void)
{
    const uint32_t sizes[] = {1, 2, 3, 16, 1000, 100000};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        uint32_t n = sizes[s];
        uint32_t *p = malloc(n * sizeof *p), *q = malloc(n * sizeof *q);
        uint8_t *hit = calloc(n, 1);
        vp_pkt_perm(p, n, 99);
        vp_pkt_perm(q, n, 99);
        uint32_t fixed = 0, adjacent = 0;
        for (uint32_t i = 0; i < n; i++) {
            CHECK(p[i] < n);
            if (p[i] < n)
                hit[p[i]]++;
            fixed += p[i] == i;
            adjacent += i > 0 && (p[i] == p[i - 1] + 1 || p[i] + 1 == p[i - 1]);
        }
        for (uint32_t i = 0; i < n; i++)
            CHECK_INT(hit[i], 1);                /* every index once */
        CHECK(memcmp(p, q, n * sizeof *p) == 0); /* the same every time */
        if (n >= 1000) {                         /* not an orderly walk */
            CHECK(fixed < n / 100);
            CHECK(adjacent < n / 100);
        }
        free(p), free(q), free(hit);
    }
}

static void test_dests(void)
{
    struct vp_pkt_flow f = golden_flow();
    f.dst_count = 1000;
    f.dst_stride = 3;
    struct vp_pkt_dest *d;
    CHECK_INT(vp_pkt_dests(&f, &d), 0);
    uint8_t *hit = calloc(f.dst_count, 1), p[VP_PKT_MAX_FRAME], r[VP_PKT_MAX_FRAME];
    vp_pkt_frame_build(&f, p);
    for (uint32_t i = 0; i < f.dst_count; i++) {
        uint32_t k = (ntohl(d[i].ip) - 0xc6131001) / 3;
        CHECK(k < f.dst_count && (ntohl(d[i].ip) - 0xc6131001) % 3 == 0);
        if (k < f.dst_count)
            hit[k]++;
        vp_pkt_frame_patch(p, NULL, &d[i], i);
        ref_frame(&f, mac_s, ntohl(d[i].ip), i, r);
        check_bytes(p, r, f.frame_len); /* checksum as computed from scratch */
    }
    for (uint32_t i = 0; i < f.dst_count; i++)
        CHECK_INT(hit[i], 1);
    free(d);
    free(hit);
}

/* Peers with destinations of their own: peer p's table is peer 0's moved
 * up by p steps, checksums still right; past IPv4's end is refused. */
static void test_peer_dests(void)
{
    struct vp_pkt_flow f = golden_flow();
    f.peers = 3;
    f.dst_count = 100;
    f.dst_stride = 256;
    f.peer_dst_step = 1u << 25;
    struct vp_pkt_dest *d;
    CHECK_INT(vp_pkt_dests(&f, &d), 0);
    uint8_t p[VP_PKT_MAX_FRAME], r[VP_PKT_MAX_FRAME];
    vp_pkt_frame_build(&f, p);
    for (uint32_t peer = 0; peer < 3; peer++)
        for (uint32_t i = 0; i < f.dst_count; i++) {
            const struct vp_pkt_dest *x = &d[peer * f.dst_count + i];
            CHECK_INT(ntohl(x->ip), ntohl(d[i].ip) + peer * f.peer_dst_step);
            vp_pkt_frame_patch(p, NULL, x, i);
            ref_frame(&f, mac_s, ntohl(x->ip), i, r);
            check_bytes(p, r, f.frame_len);
        }
    free(d);
    struct vp_err err = {0};
    f.peer_dst_step = 0x40000000;
    CHECK(vp_pkt_flow_check(&f, &err) < 0);
    CHECK(strstr(err.msg, "past 255.255.255.255") != NULL);
}

static void test_parse(void)
{
    struct vp_pkt_flow f = golden_flow();
    uint8_t p[VP_PKT_MAX_FRAME];
    struct vp_pkt_seen s;
    vp_pkt_frame_build(&f, p);
    p[14 + 8] = 63; /* a router's work: TTL down, checksum (RFC 1624) up */
    p[14 + 10] = 0x9f;
    CHECK(vp_pkt_frame_parse(p, 60, &s));
    CHECK(s.csum_ok);
    CHECK_INT(s.ttl, 63);
    CHECK_INT(s.trial, 7);
    CHECK(s.token == f.token);
    CHECK(memcmp(s.src_mac, mac_t, 6) == 0);
    p[14 + 10] = 0x9e;
    CHECK(vp_pkt_frame_parse(p, 60, &s) && !s.csum_ok);
    CHECK(!vp_pkt_frame_parse(p, 59, &s)); /* too short */
    p[14 + 9] = 6;                         /* TCP */
    CHECK(!vp_pkt_frame_parse(p, 60, &s));
}

/* One spoilt field each: an input error naming it. */
#define BAD(spoil, text)                                                                           \
    do {                                                                                           \
        struct vp_pkt_flow f = golden_flow();                                                      \
        struct vp_err err = {0};                                                                   \
        spoil;                                                                                     \
        CHECK_INT(vp_pkt_flow_check(&f, &err), -EINVAL);                                           \
        CHECK(err.kind == VP_ERR_INPUT && strstr(err.msg, text) != NULL);                          \
    } while (0)

static void test_flow_check(void)
{
    struct vp_pkt_flow good = golden_flow();
    struct vp_err e = {0};
    CHECK_INT(vp_pkt_flow_check(&good, &e), 0);
    BAD(f.ifindex = 0, "interface index 0");
    BAD(f.frame_len = 59, "frame length 59");
    BAD(f.frame_len = 1515, "frame length 1515");
    BAD(f.peers = 0, "peers 0");
    BAD(f.peers = VP_PKT_MAX_PEERS + 1, "peers 17");
    BAD(f.dst_count = 0, "destinations 0");
    BAD(f.dst_count = VP_PKT_MAX_DESTS + 1, "destinations 4194305");
    BAD(f.dst_base = htonl(0xffffff00), "past 255.255.255.255");
    BAD(f.dst_stride = 0, "0 apart");
    BAD(f.rate = -1, "rate -1");
    BAD(f.rate = NAN, "rate nan");
    BAD(f.batch = VP_PKT_BATCH_MAX + 1, "batch 257");
}

/* --- in namespaces of the test's own (root) --- */

static char skipped_why[256];

static void skip_judgement(const char *why)
{
    fprintf(stderr, "not judged: %s\n", why);
    if (!strstr(skipped_why, why))
        snprintf(skipped_why + strlen(skipped_why), sizeof skipped_why - strlen(skipped_why),
                 "%s%s", skipped_why[0] ? "; " : "", why);
}

/* Frames the kernel dropped on its receive backlogs, all CPUs. */
static uint64_t softnet_drops(void)
{
    FILE *f = fopen("/proc/net/softnet_stat", "r");
    uint64_t sum = 0;
    unsigned a, b;
    char line[512];
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "%x %x", &a, &b) == 2)
            sum += b;
    if (f)
        fclose(f);
    return sum;
}

struct gen_job {
    int ns;
    const char *ifname;
    struct vp_pkt_flow f;
    uint64_t duration_ns;
    struct vp_pkt_gen_stats st;
    struct vp_err err;
    int rc;
    atomic_int done;
};

static void *gen_main(void *arg)
{
    struct gen_job *j = arg;
    if (setns(j->ns, CLONE_NEWNET) < 0) {
        j->rc = -errno;
    } else {
        j->f.ifindex = (int)if_nametoindex(j->ifname);
        j->rc = vp_pkt_gen_run(&j->f, j->duration_ns, &j->st, &j->err);
    }
    atomic_store(&j->done, 1);
    return NULL;
}

/* Run the generator (in its namespace, on its own thread) while this
 * thread counts at the sink, then wait for stragglers; the trial's counts. */
static int gen_with_sink(struct gen_job *j, struct vp_pkt_sink *s, struct vp_pkt_counts *c)
{
    pthread_t t;
    uint64_t drops = softnet_drops();
    atomic_store(&j->done, 0);
    if (pthread_create(&t, NULL, gen_main, j) != 0)
        return -EAGAIN;
    while (!atomic_load(&j->done))
        vp_pkt_sink_poll(s, 5);
    pthread_join(t, NULL);
    vp_pkt_sink_drain(s, 100, 3000);
    vp_pkt_sink_counts(s, c);
    if (j->rc < 0)
        fprintf(stderr, "generator: %s\n", j->err.msg);
    fprintf(stderr,
            "  %s trial %u: sent %llu of %llu planned, received %llu (not forwarded %llu), "
            "stale %llu, duplicates %llu, foreign %llu, ring drops %llu\n",
            vp_pkt_tx_name(j->f.tx), j->f.trial, (unsigned long long)j->st.sent,
            (unsigned long long)j->st.planned, (unsigned long long)c->received,
            (unsigned long long)c->not_forwarded, (unsigned long long)c->stale,
            (unsigned long long)c->duplicates, (unsigned long long)c->foreign,
            (unsigned long long)c->ring_drops);
    fprintf(stderr, "  calls %llu refused %llu late p99 %.0f us\n", (unsigned long long)j->st.calls,
            (unsigned long long)j->st.refused, vp_hist_percentile(&j->st.late, 99) / 1e3);
    if (c->ring_drops > 0 || softnet_drops() != drops)
        skip_judgement("the kernel dropped frames on the way (ring or backlog full)");
    return j->rc;
}

/* Every frame sent received once, in order, forwarded (TTL 63) or not (64). */
static void check_trial(const struct gen_job *j, const struct vp_pkt_counts *c, bool forwarded)
{
    CHECK_INT(j->rc, 0);
    CHECK(j->st.sent > 0 && j->st.sent <= j->st.planned);
    CHECK(j->st.calls > 0);
    if (c->received != j->st.sent && skipped_why[0])
        return; /* judged disturbed above */
    CHECK_INT(c->received, j->st.sent);
    CHECK_INT(c->duplicates, 0);
    CHECK_INT(c->out_of_order, 0);
    CHECK_INT(c->corrupt, 0);
    CHECK_INT(c->unchecked, 0);
    CHECK_INT(c->not_forwarded, forwarded ? 0 : c->received);
    CHECK(c->first_ns > 0 && c->last_ns >= c->first_ns);
}

struct sink_open {
    const char *ifname;
    uint64_t token;
    struct vp_pkt_sink *s;
    int raw; /* a plain AF_PACKET socket beside it, to see the bytes */
};

static void sink_open_here(void *arg)
{
    struct sink_open *o = arg;
    struct vp_err err = {0};
    int idx = (int)if_nametoindex(o->ifname), one = 1;
    if (vp_pkt_sink_open(idx, o->token, &o->s, &err) < 0)
        fprintf(stderr, "sink: %s\n", err.msg);
    struct sockaddr_ll at = {
        .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = idx};
    o->raw = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (o->raw >= 0)
        setsockopt(o->raw, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
    if (o->raw >= 0 && bind(o->raw, (struct sockaddr *)&at, sizeof at) < 0) {
        close(o->raw);
        o->raw = -1;
    }
}

/* The first frames on the wire are those built by hand: frame k to peer
 * k % 2, destination dests[k / 2]. */
static void check_wire(int raw, const struct vp_pkt_flow *f)
{
    struct vp_pkt_dest *d;
    CHECK_INT(vp_pkt_dests(f, &d), 0);
    uint8_t p[2048], want[VP_PKT_MAX_FRAME];
    uint64_t k = 0;
    for (int tries = 0; k < 4 && tries < 1000; tries++) {
        ssize_t n = recv(raw, p, sizeof p, MSG_DONTWAIT);
        if (n < 0)
            break;
        struct vp_pkt_seen s;
        if (!vp_pkt_frame_parse(p, (uint32_t)n, &s) || s.token != f->token)
            continue;
        CHECK_INT(n, f->frame_len);
        ref_frame(f, f->dst_mac[k % 2], ntohl(d[k / 2].ip), k, want);
        check_bytes(p, want, f->frame_len);
        k++;
    }
    CHECK_INT(k, 4);
    free(d);
}

static struct vp_pkt_flow test_flow(uint16_t trial, enum vp_pkt_tx tx)
{
    struct vp_pkt_flow f = golden_flow();
    uint64_t seed = (uint64_t)getpid() * 7919u ^ (uint64_t)time(NULL);
    f.token = vp_prng_next(&seed);
    f.trial = trial;
    f.tx = tx;
    f.rate = 20000;
    return f;
}

static void test_refuses_initial_netns(void)
{
    struct vp_pkt_flow f = test_flow(1, VP_PKT_TX_DEFAULT);
    struct vp_pkt_gen_stats st;
    struct vp_err err = {0};
    CHECK_INT(vp_pkt_gen_run(&f, 1000000, &st, &err), -EINVAL);
    CHECK(strstr(err.msg, "initial network namespace") != NULL);
    CHECK_INT(st.sent, 0);
}

/* generator → veth → sink */
static void test_veth(void)
{
    char path[64];
    int t = ns_new(), s = ns_new();
    CHECK(t >= 0 && s >= 0);
    if (t < 0 || s < 0)
        return;
    const char *no_v6 = "echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6; "
                        "echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6";
    CHECK_INT(ns_sh(s, "%s", no_v6), 0);
    CHECK_INT(ns_sh(t,
                    "%s; ip link add vT address 02:70:6b:00:00:01 type veth peer name vS "
                    "address 02:70:6b:00:00:02 netns %s; ip link set vT up",
                    no_v6, ns_path(s, path, sizeof path)),
              0);
    CHECK_INT(ns_sh(s, "ip link set vS up"), 0);

    struct gen_job j = {.ns = t, .ifname = "vT", .duration_ns = 500000000};
    j.f = test_flow(1, VP_PKT_TX_RING);
    j.f.peers = 2; /* frames take turns: the second peer's MAC is made up */
    memcpy(j.f.dst_mac[1], (uint8_t[]){0x02, 0x70, 0x6b, 0, 0, 0x99}, 6);
    struct sink_open so = {"vS", j.f.token, NULL, -1};
    CHECK_INT(ns_call(s, sink_open_here, &so), 0);
    CHECK(so.s != NULL && so.raw >= 0);
    if (so.s == NULL || so.raw < 0)
        goto out;

    struct vp_pkt_counts c;
    vp_pkt_sink_trial(so.s, 1);
    gen_with_sink(&j, so.s, &c);
    check_trial(&j, &c, false);
    CHECK_INT(c.peers, 1); /* no router: every frame from the generator's MAC */
    CHECK(memcmp(c.peer_mac[0], mac_t, 6) == 0);
    CHECK_INT(c.peer_received[0], c.received);
    check_wire(so.raw, &j.f);
    close(so.raw);
    so.raw = -1;

    j.f.trial = 2, j.f.tx = VP_PKT_TX_MMSG, j.duration_ns = 250000000;
    vp_pkt_sink_trial(so.s, 2);
    gen_with_sink(&j, so.s, &c);
    check_trial(&j, &c, false);

    /* a late trial 2 while trial 3 is counted: stale, not received */
    j.duration_ns = 100000000;
    vp_pkt_sink_trial(so.s, 3);
    gen_with_sink(&j, so.s, &c);
    CHECK_INT(c.received, 0);
    CHECK_INT(c.stale, j.st.sent);

    /* the same trial sent twice: the second run's frames are duplicates */
    j.f.trial = 4, j.f.tx = VP_PKT_TX_RING;
    vp_pkt_sink_trial(so.s, 4);
    gen_with_sink(&j, so.s, &c);
    uint64_t first = j.st.sent;
    j.duration_ns = 50000000;
    gen_with_sink(&j, so.s, &c);
    uint64_t second = j.st.sent;
    if (!skipped_why[0]) {
        CHECK_INT(c.received, first > second ? first : second);
        CHECK_INT(c.duplicates, first < second ? first : second);
    }
out:
    if (so.raw >= 0)
        close(so.raw);
    vp_pkt_sink_close(so.s);
    close(t);
    close(s);
}

/* generator → bridge → routers 1 and 2 (16 routes each) → bridge → sink */
static void test_routers(void)
{
    char p1[64], p2[64];
    int t = ns_new(), s = ns_new(), r[2] = {ns_new(), ns_new()};
    CHECK(t >= 0 && s >= 0 && r[0] >= 0 && r[1] >= 0);
    if (t < 0 || s < 0 || r[0] < 0 || r[1] < 0)
        return;
    const char *no_v6 = "echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6; "
                        "echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6";
    int bad = 0;
    bad |= ns_sh(t,
                 "%s; ip link add brT address 02:70:6b:00:00:01 type bridge forward_delay 0; "
                 "ip link set brT up",
                 no_v6);
    bad |= ns_sh(s,
                 "%s; ip link add brS address 02:70:6b:00:00:5e type bridge forward_delay 0; "
                 "ip addr add 198.19.0.1/24 dev brS; ip link set brS up",
                 no_v6);
    for (int i = 1; i <= 2; i++) {
        int ri = r[i - 1];
        bad |= ns_sh(ri,
                     "%s; echo 1 >/proc/sys/net/ipv4/ip_forward; "
                     "echo 0 >/proc/sys/net/ipv4/conf/all/rp_filter; "
                     "echo 0 >/proc/sys/net/ipv4/conf/default/rp_filter",
                     no_v6);
        bad |= ns_sh(t,
                     "ip link add t%d type veth peer name ra address 02:70:6b:0%d:00:0a netns %s; "
                     "ip link set t%d master brT up",
                     i, i, ns_path(ri, p1, sizeof p1), i);
        bad |= ns_sh(s,
                     "ip link add s%d type veth peer name rb address 02:70:6b:0%d:00:0b netns %s; "
                     "ip link set s%d master brS up",
                     i, i, ns_path(ri, p2, sizeof p2), i);
        bad |= ns_sh(ri,
                     "ip addr add 198.18.0.%d/24 dev ra; ip addr add 198.19.0.%d/24 dev rb; "
                     "ip link set dev ra up; ip link set dev rb up; "
                     "ip neigh replace 198.19.0.1 lladdr 02:70:6b:00:00:5e dev rb nud permanent; "
                     "for k in $(seq 16 31); do ip route add 198.19.$k.0/24 via 198.19.0.1; done",
                     i + 1, i + 1);
    }
    CHECK_INT(bad, 0);

    struct gen_job j = {.ns = t, .ifname = "brT", .duration_ns = 50000000};
    j.f = test_flow(100, VP_PKT_TX_DEFAULT);
    j.f.peers = 2;
    memcpy(j.f.dst_mac[0], (uint8_t[]){0x02, 0x70, 0x6b, 0x01, 0, 0x0a}, 6);
    memcpy(j.f.dst_mac[1], (uint8_t[]){0x02, 0x70, 0x6b, 0x02, 0, 0x0a}, 6);
    struct sink_open so = {"brS", j.f.token, NULL, -1};
    CHECK_INT(ns_call(s, sink_open_here, &so), 0);
    CHECK(so.s != NULL);
    if (so.s == NULL || bad)
        goto out;

    /* until the path carries frames (links coming up), a few short trials */
    struct vp_pkt_counts c = {0};
    for (int i = 0; i < 20 && c.received == 0; i++) {
        vp_pkt_sink_trial(so.s, 100);
        gen_with_sink(&j, so.s, &c);
    }
    CHECK(c.received > 0);

    j.f.trial = 1, j.duration_ns = 500000000;
    vp_pkt_sink_trial(so.s, 1);
    gen_with_sink(&j, so.s, &c);
    check_trial(&j, &c, true);
    CHECK_INT(c.peers, 2);
    for (int i = 0; i < c.peers && i < 2; i++) {
        /* each router's egress MAC, and its share: frame k went to router k % 2 */
        int router = c.peer_mac[i][3]; /* 02:70:6b:0R:00:0b */
        CHECK(router == 1 || router == 2);
        CHECK_INT(c.peer_mac[i][5], 0x0b);
        if (!skipped_why[0])
            CHECK_INT(c.peer_received[i], router == 1 ? (j.st.sent + 1) / 2 : j.st.sent / 2);
    }
out:
    if (so.raw >= 0)
        close(so.raw);
    vp_pkt_sink_close(so.s);
    close(t), close(s), close(r[0]), close(r[1]);
}

static int net_tests(void)
{
    RUN(test_refuses_initial_netns);
    RUN(test_veth);
    RUN(test_routers);
    if (check_failures)
        return 1;
    if (skipped_why[0]) {
        printf("SKIP: host disturbed: %s\n", skipped_why);
        return 77;
    }
    return 0;
}

int main(void)
{
    RUN(test_golden_frame);
    RUN(test_csum);
    RUN(test_perm);
    RUN(test_dests);
    RUN(test_peer_dests);
    RUN(test_parse);
    RUN(test_flow_check);
    if (geteuid() != 0) {
        printf("SKIP: not root: no namespaces for the generator and sink\n");
        return check_failures ? 1 : 77;
    }
    return net_tests();
}
