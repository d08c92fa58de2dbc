#include "net/target.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "net/rtnl.h"
#include "rtp/addr.h"

/* The initial namespace's inode on Linux 6.x (PROC_NET_INIT_INO). */
#define NET_INIT_INO 0xEFFFFFF9u

bool vp_netns_is_initial(void)
{
    struct stat self, init;
    if (stat("/proc/thread-self/ns/net", &self) < 0)
        return false;
    if (stat("/proc/1/ns/net", &init) == 0)
        return self.st_ino == init.st_ino && self.st_dev == init.st_dev;
    return self.st_ino == NET_INIT_INO;
}

/* Whether addr is one of $VIRTPERF_TARGETS (numeric addresses, comma
 * separated): what the experiment runner sets for a generator whose
 * server runs on one of the experiment's hosts (platform/host.c). */
static bool declared(int family, const void *addr)
{
    const char *list = getenv("VIRTPERF_TARGETS");
    char text[INET6_ADDRSTRLEN];
    if (list == NULL || inet_ntop(family, addr, text, sizeof text) == NULL)
        return false;
    size_t n = strlen(text);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, text, n) == 0)
            return true;
        p += len + (p[len] == ',');
    }
    return false;
}

int vp_parse_target(const char *who, const char *opt, const char *text, struct sockaddr_storage *ss,
                    socklen_t *len, struct vp_err *err)
{
    int rc = vp_parse_hostport(opt, text, ss, len, err);
    if (rc < 0 || !vp_netns_is_initial())
        return rc;
    const void *addr = ss->ss_family == AF_INET6
                           ? (const void *)&((struct sockaddr_in6 *)ss)->sin6_addr
                           : (const void *)&((struct sockaddr_in *)ss)->sin_addr;
    struct vp_rtnl nl = {0};
    if ((rc = vp_rtnl_open(&nl, err)) < 0)
        return rc;
    int oif = 0, type = 0;
    rc = vp_rtnl_route_get(&nl, ss->ss_family, addr, &oif, &type);
    vp_rtnl_close(&nl);
    char link[IF_NAMESIZE] = "?";
    if (oif > 0)
        if_indextoname((unsigned)oif, link);
    if (rc < 0)
        return vp_input_error(err, "%s: --%s %s: no route to it", who, opt, text);
    if (type == RTN_LOCAL || strcmp(link, "lo") == 0 || strncmp(link, "vp", 2) == 0 ||
        declared(ss->ss_family, addr))
        return 0;
    return vp_input_error(err,
                          "%s: --%s %s is reached over %s: a generator sends only to loopback, "
                          "a test's own namespaces, virtperf's appliances and an experiment's "
                          "hosts",
                          who, opt, text, link);
}
