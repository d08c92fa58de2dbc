/* The watcher of a run (journal_priv.h): a process forked when the run's
 * journal gets its first running resource (a process, a namespace holder,
 * a cgroup). It holds nothing of the run but the read end of a pipe whose
 * write end only the run has. A normal close of the journal writes a byte
 * and the watcher leaves; end of file without one means the run died
 * (SIGKILL, a crash): once it is gone, the watcher stops every live running
 * entry of the journal file (vp_journal_stop_file: processes killed, every
 * task of the run's cgroups killed, also those a workload forked or that
 * left their process group), then leaves. The rest (cgroup folders, links,
 * scratch files) stays for `virtperf cleanup`, which finds the journal as
 * ever. Direct children die by PR_SET_PDEATHSIG besides; the watcher
 * catches what that cannot reach. Its name (comm) is vpw-<run id>: while
 * it lives, the run's cgroups are in use wherever its journal is. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "platform/journal.h"
#include "platform/journal_priv.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

/* Close every descriptor from fd up. */
static void close_from(int fd)
{
    if (syscall(SYS_close_range, (unsigned)fd, ~0U, 0U) == 0)
        return;
    for (int i = fd; i < 4096; i++)
        close(i);
}

/* Wait for the owner's end: a byte on the pipe (its journal closed: true),
 * or its death (false) — the pipe's end of file, or its pidfd readable,
 * for the pipe may be held a while by a child it forked. */
static bool closed_normally(pid_t owner, unsigned long long start)
{
    int pfd = (int)syscall(SYS_pidfd_open, owner, 0);
    char c;
    for (;;) {
        if (vp_proc_starttime(owner) != start) /* also when pfd is another's */
            break;
        struct pollfd p[2] = {{.fd = 3, .events = POLLIN}, {.fd = pfd, .events = POLLIN}};
        int n = poll(p, pfd >= 0 ? 2 : 1, pfd >= 0 ? -1 : 200);
        if (n < 0 && errno != EINTR)
            usleep(10000);
        if (n > 0 && p[0].revents) {
            ssize_t r = read(3, &c, 1);
            if (r == 1)
                return true;
            if (r == 0)
                break;
        }
    }
    if (pfd >= 0)
        close(pfd);
    /* the byte may have come just before the end */
    fcntl(3, F_SETFL, O_NONBLOCK);
    if (read(3, &c, 1) == 1)
        return true;
    while (vp_proc_starttime(owner) == start) /* end of file first: it is exiting */
        usleep(2000);
    return false;
}

/* The watcher itself: never returns. Only the pipe stays open (the run's
 * pipes and sockets must see their ends when the run's do); its own
 * session, so signals to the run's process group leave it alone. */
static void watch_main(const char *path, const char *run, pid_t owner, unsigned long long start,
                       int rfd)
{
    char name[16];
    snprintf(name, sizeof name, "vpw-%s", run);
    prctl(PR_SET_NAME, name);
    static const int quiet[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE};
    for (size_t i = 0; i < sizeof quiet / sizeof quiet[0]; i++)
        signal(quiet[i], SIG_IGN);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    setsid();
    if (rfd != 3 && (dup2(rfd, 3) < 0 || close(rfd) < 0))
        _exit(1);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd < 3; fd++)
        if (null >= 0 && null != fd)
            dup2(null, fd);
    close_from(4);
    if (!closed_normally(owner, start)) {
        struct vp_sweep_fn fn = {0};
        vp_journal_stop_file(path, &fn);
    }
    _exit(0);
}

/* Forked twice: the watcher is no child of the run's (it would be a zombie
 * of it once gone, and the run's waits are for its own children). */
int vp_journal_watch_start(const char *path, const char *run)
{
    int p[2], st;
    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    pid_t owner = getpid();
    unsigned long long start = vp_proc_starttime(owner);
    pid_t mid = fork();
    if (mid == 0) {
        close(p[1]);
        pid_t w = fork();
        if (w == 0)
            watch_main(path, run, owner, start, p[0]);
        _exit(w < 0 ? 1 : 0);
    }
    int e = errno;
    pid_t r = -1;
    close(p[0]);
    while (mid > 0 && (r = waitpid(mid, &st, 0)) < 0 && errno == EINTR)
        ;
    if (mid < 0 || r != mid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        close(p[1]);
        return mid < 0 ? -e : -ECHILD;
    }
    return p[1];
}

bool vp_journal_watcher_alive(const char *run)
{
    char want[32], path[64], comm[32];
    snprintf(want, sizeof want, "vpw-%s\n", run);
    DIR *d = opendir("/proc");
    struct dirent *e;
    bool found = false;
    while (d && !found && (e = readdir(d))) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/comm", e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, comm, sizeof comm - 1) : -1;
        if (fd >= 0)
            close(fd);
        comm[n > 0 ? n : 0] = '\0';
        found = strcmp(comm, want) == 0 && vp_proc_starttime((pid_t)atol(e->d_name)) != 0;
    }
    if (d)
        closedir(d);
    return found;
}

void vp_journal_watch_stop(int fd)
{
    if (fd < 0)
        return;
    if (write(fd, "x", 1) < 0) { /* the watcher is gone already */
    }
    close(fd);
}
