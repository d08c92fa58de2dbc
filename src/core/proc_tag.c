#include "core/proc_tag.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_PROCS 32768

struct proc {
    int pid, ppid;
    unsigned long long user, sys; /* own + reaped children's, clock ticks */
    bool tagged;
};

/* Whether pid's command line is an agent's carrying tag. */
static bool has_tag(int pid, const char *tag)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    bool agent = false, stdio = false;
    for (size_t i = 0; i < n; i += strlen(buf + i) + 1) {
        agent |= strcmp(buf + i, "agent") == 0;
        stdio |= strcmp(buf + i, "--stdio") == 0;
        if (strcmp(buf + i, "--tag") == 0 && i + strlen(buf + i) + 1 < n)
            return agent && stdio && strcmp(buf + i + strlen(buf + i) + 1, tag) == 0;
    }
    return false;
}

static bool read_stat(int pid, struct proc *p)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    bool ok = fgets(buf, sizeof buf, f) != NULL;
    fclose(f);
    char *e = ok ? strrchr(buf, ')') : NULL; /* the command name may hold anything */
    unsigned long long ut, st, cut, cst;
    if (e == NULL || sscanf(e + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu",
                            &p->ppid, &ut, &st, &cut, &cst) != 5)
        return false;
    p->pid = pid;
    p->user = ut + cut;
    p->sys = st + cst;
    return true;
}

/* Every process, its parent and its times. */
static int scan(struct proc *procs, const char *tag)
{
    DIR *d = opendir("/proc");
    int n = 0;
    struct dirent *de;
    while (d && n < MAX_PROCS && (de = readdir(d)) != NULL) {
        if (!isdigit((unsigned char)de->d_name[0]))
            continue;
        struct proc *p = &procs[n];
        memset(p, 0, sizeof *p);
        if (!read_stat(atoi(de->d_name), p))
            continue;
        p->tagged = has_tag(p->pid, tag);
        n++;
    }
    if (d)
        closedir(d);
    return n;
}

/* Whether p is a tagged agent or below one. */
static bool under_tag(const struct proc *procs, int n, const struct proc *p)
{
    for (int depth = 0; p && depth < 64; depth++) {
        if (p->tagged)
            return true;
        const struct proc *up = NULL;
        for (int i = 0; i < n && up == NULL; i++)
            if (procs[i].pid == p->ppid)
                up = &procs[i];
        p = up;
    }
    return false;
}

int vp_proc_tag_cpu(const char *tag, double *user_s, double *system_s, int *agents)
{
    struct proc *procs = calloc(MAX_PROCS, sizeof *procs);
    if (procs == NULL)
        return -ENOMEM;
    int n = scan(procs, tag);
    unsigned long long user = 0, sys = 0;
    *agents = 0;
    for (int i = 0; i < n; i++) {
        if (!under_tag(procs, n, &procs[i]))
            continue;
        *agents += procs[i].tagged;
        user += procs[i].user;
        sys += procs[i].sys;
    }
    free(procs);
    double tick = (double)sysconf(_SC_CLK_TCK);
    *user_s = (double)user / tick;
    *system_s = (double)sys / tick;
    return 0;
}
