/* Appliance networks: in each of bridge, routed and direct, the host and
 * two containers reach each other with a UDP echo (this executable is also
 * the echo server and the client, run inside the appliances). Only the
 * test's own namespaces and 10.213.0.0/16 addresses are used. Needs root. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "platform/net.h"
#include "platform_util.h"

#define PORT 17007

static struct vp_journal *journal;

/* Serve UDP echo on addr:port until 10 s pass without a datagram; say
 * "ready" on stdout once bound when asked. */
static int echo_server(const char *addr, int port, bool say_ready)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (s < 0 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1 ||
        bind(s, (struct sockaddr *)&sa, sizeof sa) < 0)
        return 1;
    struct timeval tv = {10, 0};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (say_ready) {
        printf("ready\n");
        fflush(stdout);
    }
    char buf[256];
    for (;;) {
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
        if (n < 0)
            return 0;
        sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
    }
}

/* Send a datagram to addr:port and wait for it back, retrying for 3 s. 0 = reached. */
static int ping(const char *addr, int port)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (s < 0 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
        return 2;
    struct timeval tv = {0, 100000};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char msg[64], buf[64];
    snprintf(msg, sizeof msg, "virtperf-ping %ld", (long)getpid());
    for (int i = 0; i < 30; i++) {
        sendto(s, msg, strlen(msg), 0, (struct sockaddr *)&sa, sizeof sa);
        ssize_t n = recv(s, buf, sizeof buf - 1, 0);
        if (n == (ssize_t)strlen(msg) && memcmp(buf, msg, (size_t)n) == 0) {
            close(s);
            return 0;
        }
    }
    close(s);
    return 1;
}

/* Start the echo server in a and wait for its "ready". */
static pid_t start_echo(struct vp_appliance *a)
{
    int p[2];
    char port[16], line[16] = "";
    snprintf(port, sizeof port, "%d", PORT);
    char *argv[] = {"/proc/self/exe", "echo", "0.0.0.0", port, NULL};
    struct vp_err err = {0};
    pid_t pid = -1;
    CHECK_INT(pipe2(p, O_CLOEXEC), 0);
    struct vp_exec ex = {
        .argv = argv, .stdin_fd = -1, .stdout_fd = p[1], .stderr_fd = 2, .sync_fd = -1};
    CHECK_INT(vp_platform_container.start(a, &ex, &pid, &err), 0);
    close(p[1]);
    CHECK(read(p[0], line, sizeof line - 1) > 0);
    CHECK(strncmp(line, "ready", 5) == 0);
    close(p[0]);
    return pid;
}

static void reach_from(struct vp_appliance *from, const char *to, const char *what)
{
    char port[16], out[64];
    snprintf(port, sizeof port, "%d", PORT);
    char *argv[] = {"/proc/self/exe", "ping", (char *)to, port, NULL};
    int rc = run_argv(&vp_platform_container, from, argv, out, sizeof out);
    if (rc != 0)
        fprintf(stderr, "  %s: %s did not answer (%d)\n", what, to, rc);
    CHECK_INT(rc, 0);
}

static void test_mode(int mode, const char *name)
{
    struct vp_appliance_spec s1, s2;
    vp_appliance_spec_init(&s1, "vpt-neta");
    vp_appliance_spec_init(&s2, "vpt-netb");
    s1.net = s2.net = mode;
    struct vp_appliance *a = make(&vp_platform_container, journal, &s1);
    struct vp_appliance *b = make(&vp_platform_container, journal, &s2);
    if (!a || !b)
        goto out;
    const char *aa = vp_platform_container.address(a), *ba = vp_platform_container.address(b);
    char host[32];
    vp_net_host_address(journal, mode, host, sizeof host);
    fprintf(stderr, "  %s: host %s, appliances %s and %s\n", name, host, aa, ba);
    CHECK(strcmp(aa, ba) != 0);

    pid_t hp = fork(); /* the host's own echo server, on its address of this network */
    if (hp == 0)
        _exit(echo_server(host, PORT, false));
    start_echo(a);
    start_echo(b);
    CHECK_INT(ping(aa, PORT), 0);
    CHECK_INT(ping(ba, PORT), 0);
    reach_from(a, ba, "a -> b");
    reach_from(b, aa, "b -> a");
    reach_from(a, host, "a -> host");
    reach_from(b, host, "b -> host");
    kill(hp, SIGKILL);
    waitpid(hp, NULL, 0);
out:
    if (a)
        vp_platform_container.destroy(a);
    if (b)
        vp_platform_container.destroy(b);
}

static void test_bridge(void)
{
    test_mode(VP_NET_BRIDGE, "bridge");
}

static void test_routed(void)
{
    test_mode(VP_NET_ROUTED, "routed");
}

static void test_direct(void)
{
    test_mode(VP_NET_DIRECT, "direct");
}

/* An appliance without a network has loopback only. */
static void test_none(void)
{
    struct vp_appliance_spec s;
    vp_appliance_spec_init(&s, "vpt-nonet");
    struct vp_appliance *a = make(&vp_platform_container, journal, &s);
    if (!a)
        return;
    CHECK(vp_platform_container.address(a) == NULL);
    char out[256];
    CHECK_INT(run_sh(&vp_platform_container, a,
                     "ls /sys/class/net 2>/dev/null | wc -l; cat "
                     "/proc/net/dev | grep -c ':'",
                     out, sizeof out),
              0);
    int sysfs = 0, devs = 0;
    CHECK_INT(sscanf(out, "%d %d", &sysfs, &devs), 2);
    CHECK_INT(devs, 1); /* lo alone in its namespace */
    start_echo(a);
    char *argv[] = {"/proc/self/exe", "ping", "127.0.0.1", "17007", NULL};
    CHECK_INT(run_argv(&vp_platform_container, a, argv, out, sizeof out), 0);
    vp_platform_container.destroy(a);
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "echo") == 0)
        return echo_server(argv[2], atoi(argv[3]), true);
    if (argc == 4 && strcmp(argv[1], "ping") == 0)
        return ping(argv[2], atoi(argv[3]));
    SKIP_UNLESS_ROOT();
    struct vp_err err = {0};
    CHECK_INT(vp_journal_open(&journal, &err), 0);
    RUN(test_none);
    RUN(test_bridge);
    RUN(test_routed);
    RUN(test_direct);
    char run[VP_RUN_ID_LEN + 1];
    snprintf(run, sizeof run, "%s", vp_journal_run(journal));
    vp_journal_close(journal);
    CHECK_INT(leftovers(run), 0);
    return CHECK_DONE();
}
