/* The benchmark's driver for the packet generator and sink
 * (bench/pktgen.sh), run inside the namespaces the script made:
 *
 *   pkt_bench gen IFNAME DST_MAC SECONDS RATE ring|mmsg TOKEN [FRAME_LEN [BATCH]]
 *   pkt_bench sink IFNAME SECONDS TOKEN      (stops early on SIGTERM)
 *
 * Each prints one JSON line of its figures. Frames: 16 destinations
 * 198.19.16-31.1 from 198.18.0.1, UDP port 9000. */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/ether.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/signals.h"
#include "net/pkt_gen.h"
#include "net/pkt_sink.h"

static int usage(void)
{
    fputs("usage: pkt_bench gen IFNAME DST_MAC SECONDS RATE ring|mmsg TOKEN [FRAME_LEN [BATCH]]\n"
          "       pkt_bench sink IFNAME SECONDS TOKEN\n",
          stderr);
    return 2;
}

static int if_mac(const char *name, uint8_t *mac)
{
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int rc = fd < 0 ? -1 : ioctl(fd, SIOCGIFHWADDR, &ifr);
    if (fd >= 0)
        close(fd);
    memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    return rc;
}

static int gen(int argc, char **argv)
{
    if (argc < 8)
        return usage();
    struct vp_pkt_flow f = {.peers = 1, .dst_count = 16, .dst_stride = 256, .udp_port = 9000};
    struct ether_addr *dst = ether_aton(argv[3]);
    f.ifindex = (int)if_nametoindex(argv[2]);
    if (dst == NULL || f.ifindex == 0 || if_mac(argv[2], f.src_mac) < 0)
        return usage();
    memcpy(f.dst_mac[0], dst, 6);
    f.src_ip = inet_addr("198.18.0.1");
    f.dst_base = inet_addr("198.19.16.1");
    double secs = atof(argv[4]);
    f.rate = atof(argv[5]);
    f.tx = strcmp(argv[6], "mmsg") == 0 ? VP_PKT_TX_MMSG : VP_PKT_TX_RING;
    f.token = strtoull(argv[7], NULL, 0);
    f.frame_len = argc > 8 ? (uint32_t)atoi(argv[8]) : 60;
    f.batch = argc > 9 ? atoi(argv[9]) : 0;
    struct vp_pkt_gen_stats st;
    struct vp_err err = {0};
    if (vp_pkt_gen_run(&f, (uint64_t)(secs * 1e9), &st, &err) < 0)
        return vp_err_report(&err);
    double el = (double)st.elapsed_ns / 1e9;
    printf("{\"tx\":\"%s\",\"sent\":%llu,\"planned\":%llu,\"elapsed_s\":%.3f,\"pps\":%.0f,"
           "\"cpu_pct\":%.1f,\"calls\":%llu,\"refused\":%llu,\"late_p99_us\":%.1f,"
           "\"behind\":%s}\n",
           vp_pkt_tx_name(f.tx), (unsigned long long)st.sent, (unsigned long long)st.planned, el,
           (double)st.sent / el, 100.0 * (double)st.cpu_ns / (double)st.elapsed_ns,
           (unsigned long long)st.calls, (unsigned long long)st.refused,
           vp_hist_percentile(&st.late, 99) / 1e3, st.behind ? "true" : "false");
    return 0;
}

static int sink(int argc, char **argv)
{
    if (argc < 5)
        return usage();
    int idx = (int)if_nametoindex(argv[2]);
    if (idx == 0)
        return usage();
    uint64_t end = vp_now_ns() + (uint64_t)(atof(argv[3]) * 1e9);
    struct vp_pkt_sink *s;
    struct vp_err err = {0};
    if (vp_pkt_sink_open(idx, strtoull(argv[4], NULL, 0), &s, &err) < 0)
        return vp_err_report(&err);
    fprintf(stderr, "pkt_bench: sink ready\n");
    while (!vp_interrupted && vp_now_ns() < end)
        vp_pkt_sink_poll(s, 100);
    vp_interrupted = 0;
    vp_pkt_sink_drain(s, 100, 2000);
    struct vp_pkt_counts c;
    vp_pkt_sink_counts(s, &c);
    printf("{\"received\":%llu,\"foreign\":%llu,\"ring_drops\":%llu,\"duplicates\":%llu,"
           "\"out_of_order\":%llu,\"not_forwarded\":%llu}\n",
           (unsigned long long)c.received, (unsigned long long)c.foreign,
           (unsigned long long)c.ring_drops, (unsigned long long)c.duplicates,
           (unsigned long long)c.out_of_order, (unsigned long long)c.not_forwarded);
    vp_pkt_sink_close(s);
    return 0;
}

int main(int argc, char **argv)
{
    vp_signals_install();
    if (argc > 1 && strcmp(argv[1], "gen") == 0)
        return gen(argc, argv);
    if (argc > 1 && strcmp(argv[1], "sink") == 0)
        return sink(argc, argv);
    return usage();
}
