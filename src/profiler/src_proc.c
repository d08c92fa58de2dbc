/* Source: one process and its threads from /proc.
 *
 * Process CPU user/system from /proc/PID/stat (whole thread group, ticks).
 * Per thread: CPU time and run-queue wait from schedstat (ns), context
 * switches from status. The process's run time, wait and switches add up
 * the per-thread deltas, so a thread that exits takes nothing back. Threads
 * are listed again on every sample; each is reported on its own ("tid123",
 * or "vcpuN" for QEMU's "CPU N/KVM" and "CPU N/TCG") when there are several. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "profiler/series.h"

struct thread {
    int tid;
    int fd_sched, fd_status;
    int vcpu;
    char comm[32];
    double run, wait, vol, invol; /* last readings */
    unsigned long long slices;    /* times it was switched in (schedstat) */
    bool seen;
};

struct proc {
    int pid;
    int fd_stat;
    DIR *task;
    bool gone;
    double tick_s;
    struct thread *th;
    size_t nth, cap;
    double run, wait, vol, invol; /* process totals, accumulated from deltas */
    bool started;
    bool rescan;            /* list the threads again: a read failed or their number changed */
    struct vp_task_stat ts; /* the last /proc/PID/stat read */
    char buf[4096];
};

int vp_parse_task_stat(const char *text, double tick_s, struct vp_task_stat *s)
{
    const char *open = strchr(text, '(');
    const char *close = strrchr(text, ')');
    if (open == NULL || close == NULL || close < open)
        return -EINVAL;
    size_t n = (size_t)(close - open - 1);
    if (n >= sizeof s->comm)
        n = sizeof s->comm - 1;
    memcpy(s->comm, open + 1, n);
    s->comm[n] = '\0';
    /* after ")": state ppid pgrp session tty tpgid flags minflt cminflt
     * majflt cmajflt utime stime cutime cstime priority nice num_threads;
     * parsed by hand, as this runs for every process on every sample */
    const char *p = close + 1;
    while (*p == ' ')
        p++;
    char state = *p++;
    unsigned long long f[18] = {0};
    for (int i = 1; i < 18; i++) { /* f[i] is the field i places after state */
        char *end;
        f[i] = strtoull(p, &end, 10);
        if (end == p)
            return -EINVAL;
        p = end;
    }
    unsigned long long ut = f[11], st = f[12];
    long nth = (long)f[17];
    s->state = state;
    s->utime_s = (double)ut * tick_s;
    s->stime_s = (double)st * tick_s;
    s->num_threads = (int)nth;
    return 0;
}

int vp_parse_status_ctxsw(const char *text, double *vol, double *invol)
{
    const char *v = strstr(text, "\nvoluntary_ctxt_switches:");
    const char *i = strstr(text, "\nnonvoluntary_ctxt_switches:");
    if (v == NULL || i == NULL)
        return -EINVAL;
    *vol = strtod(v + 25, NULL);
    *invol = strtod(i + 28, NULL);
    return 0;
}

int vp_parse_schedstat(const char *text, double *run_s, double *wait_s)
{
    unsigned long long run, wait;
    if (sscanf(text, "%llu %llu", &run, &wait) != 2)
        return -EINVAL;
    *run_s = (double)run / 1e9;
    *wait_s = (double)wait / 1e9;
    return 0;
}

int vp_vcpu_index(const char *comm)
{
    int n, end = 0;
    char kind[4];
    if (sscanf(comm, "CPU %d/%3[A-Z]%n", &n, kind, &end) == 2 && comm[end] == '\0' && n >= 0 &&
        (strcmp(kind, "KVM") == 0 || strcmp(kind, "TCG") == 0))
        return n;
    return -1;
}

static void thread_close(struct thread *th)
{
    if (th->fd_sched >= 0)
        close(th->fd_sched);
    if (th->fd_status >= 0)
        close(th->fd_status);
}

static struct thread *thread_find_or_add(struct proc *p, int tid)
{
    for (size_t i = 0; i < p->nth; i++)
        if (p->th[i].tid == tid)
            return &p->th[i];
    if (p->nth == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 4;
        struct thread *n = realloc(p->th, cap * sizeof *n);
        if (n == NULL)
            return NULL;
        p->th = n;
        p->cap = cap;
    }
    char path[64];
    struct thread *th = &p->th[p->nth];
    memset(th, 0, sizeof *th);
    th->tid = tid;
    th->vcpu = -1;
    th->run = th->wait = th->vol = th->invol = -1; /* not read yet */
    snprintf(path, sizeof path, "/proc/%d/task/%d/schedstat", p->pid, tid);
    th->fd_sched = open(path, O_RDONLY | O_CLOEXEC);
    snprintf(path, sizeof path, "/proc/%d/task/%d/status", p->pid, tid);
    th->fd_status = open(path, O_RDONLY | O_CLOEXEC);
    if (th->fd_sched < 0 || th->fd_status < 0) {
        thread_close(th);
        return NULL; /* exited already */
    }
    p->nth++;
    return th;
}

/* Read one thread; add its deltas to the process totals. 0, or -1 if gone. */
/* Read one thread; add its deltas to the process totals. 1 when it ran
 * since the last read, 0 when it did not (schedstat alone is read then:
 * a thread that was not switched in and gained no run time has the same
 * context switches, and its process the same stat), -1 when gone. */
static int thread_read(struct proc *p, struct thread *th)
{
    double run, wait, vol = th->vol, invol = th->invol;
    unsigned long long slices = 0;
    if (vp_prof_pread(th->fd_sched, p->buf, sizeof p->buf) < 0 ||
        vp_parse_schedstat(p->buf, &run, &wait) < 0)
        return -1;
    const char *third = strrchr(p->buf, ' ');
    if (third)
        slices = strtoull(third + 1, NULL, 10);
    bool ran = th->run < 0 || slices != th->slices || run != th->run;
    if (ran) {
        if (vp_prof_pread(th->fd_status, p->buf, sizeof p->buf) < 0 ||
            vp_parse_status_ctxsw(p->buf, &vol, &invol) < 0)
            return -1;
        if (strncmp(p->buf, "Name:\t", 6) == 0) {
            size_t n = strcspn(p->buf + 6, "\n");
            if (n >= sizeof th->comm)
                n = sizeof th->comm - 1;
            memcpy(th->comm, p->buf + 6, n);
            th->comm[n] = '\0';
            th->vcpu = vp_vcpu_index(th->comm);
        }
    }
    if (th->run < 0 || !p->started) { /* first sight: all of it is new */
        if (p->started) {
            p->run += run;
            p->wait += wait;
            p->vol += vol;
            p->invol += invol;
        }
    } else {
        p->run += run > th->run ? run - th->run : 0;
        p->wait += wait > th->wait ? wait - th->wait : 0;
        p->vol += vol > th->vol ? vol - th->vol : 0;
        p->invol += invol > th->invol ? invol - th->invol : 0;
    }
    th->run = run;
    th->wait = wait;
    th->vol = vol;
    th->invol = invol;
    th->slices = slices;
    return ran ? 1 : 0;
}

static int put_thread(struct vp_prof_target *t, const struct thread *th, uint64_t now_ns)
{
    char sub[40], esc[80], labels[128], lbl[128];
    if (th->vcpu >= 0)
        snprintf(sub, sizeof sub, "vcpu%d", th->vcpu);
    else
        snprintf(sub, sizeof sub, "tid%d", th->tid);
    vp_prof_label_escape(th->comm, esc, sizeof esc);
    if (th->vcpu >= 0)
        snprintf(labels, sizeof labels, "tid=\"%d\",thread=\"%s\",vcpu=\"%d\"", th->tid, esc,
                 th->vcpu);
    else
        snprintf(labels, sizeof labels, "tid=\"%d\",thread=\"%s\"", th->tid, esc);
    snprintf(lbl, sizeof lbl, "%s,kind=\"voluntary\"", labels);
    if (!vp_prof_put(t, VP_FAM_THREAD_CPU, sub, "cpu.total", labels, th->run, now_ns) ||
        !vp_prof_put(t, VP_FAM_THREAD_RUNQ, sub, "runq_wait", labels, th->wait, now_ns) ||
        !vp_prof_put(t, VP_FAM_THREAD_CTXSW, sub, "ctxsw.voluntary", lbl, th->vol, now_ns))
        return -ENOMEM;
    snprintf(lbl, sizeof lbl, "%s,kind=\"involuntary\"", labels);
    if (!vp_prof_put(t, VP_FAM_THREAD_CTXSW, sub, "ctxsw.involuntary", lbl, th->invol, now_ns))
        return -ENOMEM;
    return 0;
}

/* List the threads again: new ones are opened, gone ones closed. */
static void rescan(struct proc *p)
{
    for (size_t i = 0; i < p->nth; i++)
        p->th[i].seen = false;
    rewinddir(p->task);
    struct dirent *d;
    while ((d = readdir(p->task)) != NULL) {
        if (d->d_name[0] < '0' || d->d_name[0] > '9')
            continue;
        struct thread *th = thread_find_or_add(p, atoi(d->d_name));
        if (th)
            th->seen = true;
    }
    size_t k = 0;
    for (size_t i = 0; i < p->nth; i++) {
        if (p->th[i].seen)
            p->th[k++] = p->th[i];
        else
            thread_close(&p->th[i]);
    }
    p->nth = k;
}

#define PUT(fam, key, labels, v)                                                                   \
    do {                                                                                           \
        if (vp_prof_put(t, fam, "", key, labels, v, now_ns) == NULL)                               \
            return -ENOMEM;                                                                        \
    } while (0)

static int proc_sample(struct vp_prof_target *t, uint64_t now_ns)
{
    struct proc *p = t->state;
    if (p->gone)
        return -ENOENT;
    /* the threads' schedstat first: /proc/PID/stat is read again only when
     * one of them ran (or one vanished), as nothing in it moves otherwise */
    bool changed = !p->started || p->rescan;
    for (size_t i = 0; i < p->nth; i++) {
        int r = thread_read(p, &p->th[i]);
        if (r < 0) {
            p->th[i].seen = false;
            p->rescan = changed = true; /* it exited: forget it */
        } else if (r > 0) {
            changed = true;
        }
    }
    if (changed) {
        struct vp_task_stat ts;
        if (vp_prof_pread(p->fd_stat, p->buf, sizeof p->buf) < 0 ||
            vp_parse_task_stat(p->buf, p->tick_s, &ts) < 0 || ts.state == 'Z') {
            p->gone = true; /* a pid is never looked for again: it may be reused */
            return -ENOENT;
        }
        p->ts = ts;
        if (p->rescan || ts.num_threads != (int)p->nth) {
            rescan(p);
            for (size_t i = 0; i < p->nth; i++)
                if (p->th[i].run < 0 && thread_read(p, &p->th[i]) < 0)
                    p->th[i].seen = false; /* new, and gone already */
        }
        p->rescan = false;
    }
    const struct vp_task_stat ts = p->ts;
    if (!p->started) {
        for (size_t i = 0; i < p->nth; i++) {
            p->run += p->th[i].run;
            p->wait += p->th[i].wait;
            p->vol += p->th[i].vol;
            p->invol += p->th[i].invol;
        }
        p->started = true;
    }
    PUT(VP_FAM_PROC_CPU, "cpu.user", "mode=\"user\"", ts.utime_s);
    PUT(VP_FAM_PROC_CPU, "cpu.system", "mode=\"system\"", ts.stime_s);
    PUT(VP_FAM_PROC_USAGE, "cpu.total", "", p->run);
    PUT(VP_FAM_PROC_RUNQ, "runq_wait", "", p->wait);
    PUT(VP_FAM_PROC_CTXSW, "ctxsw.voluntary", "kind=\"voluntary\"", p->vol);
    PUT(VP_FAM_PROC_CTXSW, "ctxsw.involuntary", "kind=\"involuntary\"", p->invol);
    if (p->nth > 1)
        for (size_t i = 0; i < p->nth; i++)
            if (p->th[i].seen && put_thread(t, &p->th[i], now_ns) < 0)
                return -ENOMEM;
    return 0;
}

static void proc_free(void *state)
{
    struct proc *p = state;
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->nth; i++)
        thread_close(&p->th[i]);
    free(p->th);
    if (p->task)
        closedir(p->task);
    if (p->fd_stat >= 0)
        close(p->fd_stat);
    free(p);
}

static const struct vp_prof_source proc_source = {"pid", proc_sample, proc_free};

int vp_prof_proc_new(struct vp_prof_target *t, int pid, struct vp_err *err)
{
    struct proc *p = calloc(1, sizeof *p);
    if (p == NULL)
        return vp_run_error(err, ENOMEM, "profiler");
    char path[64];
    p->pid = pid;
    p->tick_s = 1.0 / (double)sysconf(_SC_CLK_TCK);
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    p->fd_stat = open(path, O_RDONLY | O_CLOEXEC);
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    p->task = p->fd_stat >= 0 ? opendir(path) : NULL;
    if (pid <= 0 || p->fd_stat < 0 || p->task == NULL) {
        proc_free(p);
        return vp_input_error(err, "pid %d: no such process", pid);
    }
    size_t l = strlen(t->labels);
    snprintf(t->labels + l, sizeof t->labels - l, "%spid=\"%d\"", l ? "," : "", pid);
    t->src = &proc_source;
    t->state = p;
    return 0;
}
