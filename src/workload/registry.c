#include <string.h>

#include "workload/workload.h"

extern const struct vp_workload vp_wl_cpu_pi, vp_wl_cpu_gzip, vp_wl_mem_masr, vp_wl_disk_zfg,
    vp_wl_disk_files, vp_wl_build;

/* Every workload, in the order `workload list` shows them. */
const struct vp_workload *const vp_workloads[] = {
    &vp_wl_cpu_pi,
    &vp_wl_cpu_gzip,
    &vp_wl_mem_masr,
    &vp_wl_disk_zfg,
    &vp_wl_disk_files,
    &vp_wl_build,
    NULL,
};

const struct vp_workload *vp_workload_find(const char *name)
{
    for (int i = 0; vp_workloads[i]; i++)
        if (strcmp(vp_workloads[i]->name, name) == 0)
            return vp_workloads[i];
    return NULL;
}
