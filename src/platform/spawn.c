#include "platform/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/fds.h"
#include "platform/journal.h"

/* Give the child its descriptors: 0, 1, 2 and 3 (sync) from ex, /dev/null
 * for -1, every other one (however high) closed on exec. */
static int set_fds(const struct vp_exec *ex)
{
    int src[4] = {ex->stdin_fd, ex->stdout_fd, ex->stderr_fd, ex->sync_fd};
    int tmp[4];
    int ntarget = ex->sync_fd >= 0 ? 4 : 3;
    for (int i = 0; i < ntarget; i++) {
        int fd = src[i] >= 0 ? src[i] : open("/dev/null", i == 0 ? O_RDONLY : O_WRONLY);
        if (fd < 0 || (tmp[i] = fcntl(fd, F_DUPFD_CLOEXEC, 10)) < 0)
            return -errno;
    }
    for (int i = 0; i < ntarget; i++)
        if (dup2(tmp[i], i) < 0)
            return -errno;
    return vp_fds_cloexec_from(ntarget);
}

static void child(const struct vp_exec *ex, vp_spawn_prepare prepare, void *arg, int go, int status,
                  pid_t parent)
{
    char c;
    int rc;
    setpgid(0, 0);
    if (vp_die_with_parent(parent, SIGKILL) < 0)
        _exit(127);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL); /* virtperf ignores it; an ignored signal stays so across exec */
    /* the stop request (SIGUSR1, `--until-stopped`) must reach the process
     * but must not kill it before virtperf has its handler: blocked, it
     * stays pending across the exec until vp_signals_install() unblocks it */
    signal(SIGUSR1, SIG_DFL);
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    if (read(go, &c, 1) != 1) /* the parent journaled us, or died */
        _exit(127);
    if ((prepare && (rc = prepare(arg, status)) < 0) || (rc = set_fds(ex)) < 0)
        goto fail;
    /* again: a change of user (a server run as one) clears it (a parent
     * gone in between leaves this process to the run's watcher) */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    execvp(ex->argv[0], ex->argv);
    rc = -errno;
fail:
    if (write(status, &rc, sizeof rc) < 0)
        _exit(126);
    _exit(127);
}

int vp_die_with_parent(pid_t parent, int sig)
{
    if (prctl(PR_SET_PDEATHSIG, sig) < 0)
        return -errno;
    /* the parent may have died before the call: nothing would come then */
    return getppid() == parent ? 0 : -ESRCH;
}

ssize_t vp_read_retry(int fd, void *buf, size_t len)
{
    ssize_t n;
    while ((n = read(fd, buf, len)) < 0 && errno == EINTR)
        ;
    return n;
}

void vp_reap(pid_t pid)
{
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

int vp_spawn(struct vp_journal *j, const struct vp_exec *ex, vp_spawn_prepare prepare, void *arg,
             pid_t *pid, int *proc_id, struct vp_err *err)
{
    int go[2] = {-1, -1}, st[2] = {-1, -1}, rc = 0;
    *proc_id = -1;
    if (pipe2(go, O_CLOEXEC) < 0 || pipe2(st, O_CLOEXEC) < 0) {
        rc = vp_run_error(err, errno, "pipe");
        goto out;
    }
    pid_t parent = getpid(), p = fork();
    if (p < 0) {
        rc = vp_run_error(err, errno, "fork");
        goto out;
    }
    if (p == 0)
        child(ex, prepare, arg, go[0], st[1], parent);
    close(st[1]);
    st[1] = -1;
    char what[64];
    snprintf(what, sizeof what, "%ld %llu", (long)p, vp_proc_starttime(p));
    int id = vp_journal_add(j, VP_RES_PROC, what, err);
    if (id < 0) { /* the child sees EOF on go and leaves */
        close(go[1]);
        go[1] = -1;
        vp_reap(p);
        rc = id;
        goto out;
    }
    int e = 0;
    ssize_t n = write(go[1], "g", 1);
    if (n == 1)
        n = vp_read_retry(st[0], &e, sizeof e);
    if (n != 0 && n != (ssize_t)sizeof e) /* 0: exec'd, pipe closed */
        e = -EIO;
    if (e < 0) {
        vp_reap(p);
        vp_journal_done(j, id);
        rc = vp_run_error(err, -e, "start %s", ex->argv[0]);
        goto out;
    }
    *pid = p;
    *proc_id = id;
out:
    for (int i = 0; i < 2; i++) {
        if (go[i] >= 0)
            close(go[i]);
        if (st[i] >= 0)
            close(st[i]);
    }
    return rc;
}

void vp_spawn_kill(struct vp_journal *j, pid_t pid, int proc_id)
{
    /* while pid is our unreaped child (or was, until just now) its number
     * cannot have been reused, so its group is still ours */
    if (pid > 0) {
        pid_t r = waitpid(pid, NULL, WNOHANG);
        if (r == 0 || r == pid)
            kill(-pid, SIGKILL);
        if (r == 0) /* reap it, so it is not left a zombie */
            while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
    }
    vp_journal_undo(j, proc_id);
}

void vp_proc_usage(const pid_t *pids, int n, struct vp_appliance_usage *u)
{
    long hz = sysconf(_SC_CLK_TCK);
    for (int i = 0; i < n; i++) {
        char path[64], buf[1024];
        snprintf(path, sizeof path, "/proc/%ld/stat", (long)pids[i]);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t got = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[got] = '\0';
        char *p = strrchr(buf, ')');
        unsigned long long ut, st, cut, cst;
        if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu",
                        &ut, &st, &cut, &cst) == 4) {
            u->cpu_user_ns += (ut + cut) * 1000000000ULL / (unsigned long long)hz;
            u->cpu_system_ns += (st + cst) * 1000000000ULL / (unsigned long long)hz;
        }
    }
}
