/* Core allocation schemes (seed 003 §6.2): float leaves placement to the
 * scheduler; exclusive gives each vCPU its own core while cores last, then
 * wraps around (with a warning); shared-one puts every vCPU on one core.
 * An appliance with its own `cpus` keeps them. */
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "experiment/experiment.h"

void vp_cpuset_self(struct vp_cpuset *cs)
{
    cpu_set_t set;
    cs->n = 0;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        for (int c = 0; c < CPU_SETSIZE && c < VP_EXP_MAX_CPUS; c++)
            if (CPU_ISSET(c, &set))
                cs->cpu[cs->n++] = c;
    }
    if (cs->n == 0) {
        cs->cpu[0] = 0;
        cs->n = 1;
    }
}

/* Append core c to a cpulist. */
static void add_cpu(char *list, size_t len, int c)
{
    size_t used = strlen(list);
    snprintf(list + used, len - used, "%s%d", used ? "," : "", c);
}

void vp_scheme_apply(struct vp_point *pt, const struct vp_cpuset *cpus)
{
    int next = 0;
    pt->warning[0] = '\0';
    if (pt->s.scheme == VP_SCHEME_FLOAT)
        return;
    for (int i = 0; i < pt->ninst; i++) {
        struct vp_instance *in = &pt->inst[i];
        if (in->f.cpus[0] != '\0' || vp_exp_remote(&in->f)) /* pinned, or another host's */
            continue;
        int v = in->f.vcpus > 0 ? (int)in->f.vcpus : 1;
        if (pt->s.scheme == VP_SCHEME_SHARED_ONE) {
            add_cpu(in->f.cpus, sizeof in->f.cpus, cpus->cpu[0]);
            continue;
        }
        for (int k = 0; k < v && k < cpus->n; k++, next++)
            add_cpu(in->f.cpus, sizeof in->f.cpus, cpus->cpu[next % cpus->n]);
        if (v > cpus->n)
            next += v - cpus->n;
    }
    if (pt->s.scheme == VP_SCHEME_EXCLUSIVE && next > cpus->n)
        snprintf(pt->warning, sizeof pt->warning,
                 "exclusive: %d vCPUs but %d cores; from vCPU %d on, cores are shared", next,
                 cpus->n, cpus->n + 1);
}
