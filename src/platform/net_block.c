/* A run's address block (net.h): three /24s of 10.213.0.0/16, chosen once
 * per run under a lock and leased until the run's journal goes. The lease
 * is a file in the journal folder naming the run ("subnet-<block>.lease"),
 * journaled like any resource, so a killed run's lease lasts exactly as
 * long as its journal (and its links) and goes with its replay. A block is
 * free when no live lease holds it and no host address is in it (a run of
 * an older virtperf, another journal folder's run, anyone's). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <unistd.h>

#include "platform/journal.h"
#include "platform/net.h"

/* Blocks with a host address in them. */
static void host_blocks(bool used[VP_NET_BLOCKS])
{
    struct ifaddrs *ifa = NULL;
    if (getifaddrs(&ifa) != 0)
        return;
    for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
            continue;
        uint32_t a = ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr);
        if ((a >> 16) == ((10u << 8) | 213u) && ((a >> 8) & 0xff) < 3 * VP_NET_BLOCKS)
            used[((a >> 8) & 0xff) / 3] = true;
    }
    freeifaddrs(ifa);
}

static void lease_path(const char *dir, int block, char *out, size_t len)
{
    snprintf(out, len, "%s/subnet-%d.lease", dir, block);
}

/* Blocks leased to a run whose journal is still there. */
static void leased_blocks(const char *dir, bool used[VP_NET_BLOCKS])
{
    for (int b = 0; b < VP_NET_BLOCKS; b++) {
        char path[480], run[32] = "";
        lease_path(dir, b, path, sizeof path);
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t n = read(fd, run, sizeof run - 1);
        close(fd);
        run[n > 0 ? n : 0] = '\0';
        run[strcspn(run, "\n")] = '\0';
        /* a lease that cannot be read is taken as held: leave that block */
        used[b] |= !vp_journal_id_valid(run) || vp_journal_run_in_use(run);
    }
}

/* Journal the lease, then write it. */
static int take(struct vp_journal *j, const char *dir, int block, struct vp_err *err)
{
    char path[480], text[32];
    lease_path(dir, block, path, sizeof path);
    int id = vp_journal_add(j, VP_RES_LEASE, path, err);
    if (id < 0)
        return id;
    int n = snprintf(text, sizeof text, "%s\n", vp_journal_run(j));
    /* a stale lease (its run's journal is gone) is taken over */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, text, (size_t)n) != n) {
        int rc = vp_run_error(err, errno ? errno : EIO, "network lease %s", path);
        if (fd >= 0)
            close(fd);
        vp_journal_undo(j, id);
        return rc;
    }
    close(fd);
    vp_journal_set_block(j, block);
    return 0;
}

int vp_net_block(struct vp_journal *j, struct vp_err *err)
{
    if (vp_journal_block(j) >= 0)
        return vp_journal_block(j);
    char dir[400], lock[480];
    /* shared on the folder: no cleanup meanwhile (it removes the lock file) */
    int folder = vp_journal_lock_shared(err), fd = -1, rc;
    if (folder < 0)
        return folder;
    vp_journal_dir(dir, sizeof dir);
    snprintf(lock, sizeof lock, "%s/%s", dir, VP_JOURNAL_SUBNET_LOCK);
    fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    while (fd >= 0 && (rc = flock(fd, LOCK_EX)) < 0 && errno == EINTR)
        ;
    if (fd < 0 || rc < 0) {
        rc = vp_run_error(err, errno, "network: lock %s", lock);
        goto out;
    }
    bool used[VP_NET_BLOCKS] = {false};
    host_blocks(used);
    leased_blocks(dir, used);
    /* from a random block on: runs of another journal folder (another lock)
     * rarely race for the same one */
    unsigned r = 0;
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
        r = (unsigned)getpid();
    rc = -ENOSPC;
    for (int k = 0; k < VP_NET_BLOCKS && rc == -ENOSPC; k++) {
        int b = (int)((r + (unsigned)k) % VP_NET_BLOCKS);
        if (!used[b])
            rc = take(j, dir, b, err) < 0 ? -EIO : b;
    }
    if (rc == -ENOSPC)
        vp_run_error(err, 0,
                     "network: no free address block in 10.213.0.0/16: all %d are held by other "
                     "runs or host addresses (`virtperf cleanup` frees those of killed runs)",
                     VP_NET_BLOCKS);
out:
    if (fd >= 0)
        close(fd);
    close(folder);
    return rc;
}
