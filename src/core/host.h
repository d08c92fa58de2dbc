/* Facts about the machine a run happens on, and resource limits that let a
 * workload refuse an impossible size before starting. */
#ifndef VP_CORE_HOST_H
#define VP_CORE_HOST_H

#include <stdint.h>

#include "core/json.h"

struct vp_host {
    char hostname[256];
    char kernel[256];
    char cpu_model[256];
    char virt[32]; /* "none" or the hypervisor the CPU reports (cpuid flag) */
    int cpus_online;
    uint64_t mem_total;
    int cgroup_version; /* 1 or 2 */
};

void vp_host_read(struct vp_host *h);
void vp_host_json(struct vp_json *j, const char *key, const struct vp_host *h);
/* This machine's facts, read now, as member key of the object being written
 * (a document's start). */
void vp_host_json_now(struct vp_json *j, const char *key);
/* This machine's facts as compact JSON text, for the store (malloc'd; NULL
 * when out of memory). */
char *vp_host_json_text(void);

/* Memory a process may still use without swapping: MemAvailable, lowered to
 * what the cgroup limit leaves when there is one. 0 when unknown. */
uint64_t vp_mem_available(void);

#endif
