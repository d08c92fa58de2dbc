#include "core/host.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* Value of "key: value" in a /proc file such as cpuinfo or meminfo. */
static int proc_field(const char *path, const char *key, char *out, size_t len)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    char line[1024];
    size_t klen = strlen(key);
    int rc = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, klen) != 0)
            continue;
        const char *v = line + klen;
        while (*v == ' ' || *v == '\t' || *v == ':')
            v++;
        snprintf(out, len, "%s", v);
        out[strcspn(out, "\n")] = '\0';
        rc = 0;
        break;
    }
    fclose(f);
    return rc;
}

static uint64_t meminfo_bytes(const char *key)
{
    char v[64];
    unsigned long long kib;
    if (proc_field("/proc/meminfo", key, v, sizeof v) != 0 || sscanf(v, "%llu", &kib) != 1)
        return 0;
    return (uint64_t)kib * 1024;
}

static uint64_t read_u64_file(const char *path)
{
    FILE *f = fopen(path, "r");
    unsigned long long v = 0;
    if (f == NULL)
        return 0;
    if (fscanf(f, "%llu", &v) != 1)
        v = 0;
    fclose(f);
    return (uint64_t)v;
}

static int cgroup_version(void)
{
    struct statfs sf;
    if (statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
        return 2;
    return 1;
}

void vp_host_read(struct vp_host *h)
{
    memset(h, 0, sizeof *h);
    gethostname(h->hostname, sizeof h->hostname - 1);
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(h->kernel, sizeof h->kernel, "%s %s %s", u.sysname, u.release, u.machine);
    if (proc_field("/proc/cpuinfo", "model name", h->cpu_model, sizeof h->cpu_model) != 0)
        snprintf(h->cpu_model, sizeof h->cpu_model, "unknown");
    char flags[4096];
    bool guest = proc_field("/proc/cpuinfo", "flags", flags, sizeof flags) == 0 &&
                 strstr(flags, " hypervisor") != NULL;
    snprintf(h->virt, sizeof h->virt, "%s", guest ? "guest" : "none");
    h->cpus_online = (int)sysconf(_SC_NPROCESSORS_ONLN);
    h->mem_total = meminfo_bytes("MemTotal");
    h->cgroup_version = cgroup_version();
}

void vp_host_json(struct vp_json *j, const char *key, const struct vp_host *h)
{
    vp_json_object_begin(j, key);
    vp_json_string(j, "hostname", h->hostname);
    vp_json_string(j, "kernel", h->kernel);
    vp_json_string(j, "cpu_model", h->cpu_model);
    vp_json_string(j, "virtualization", h->virt);
    vp_json_int(j, "cpus_online", h->cpus_online);
    vp_json_int(j, "mem_total", (int64_t)h->mem_total);
    vp_json_int(j, "cgroup_version", h->cgroup_version);
    vp_json_object_end(j);
}

void vp_host_json_now(struct vp_json *j, const char *key)
{
    struct vp_host h;
    vp_host_read(&h);
    vp_host_json(j, key, &h);
}

char *vp_host_json_text(void)
{
    struct vp_json_buf b;
    struct vp_host h;
    if (vp_json_buf_open(&b) < 0)
        return NULL;
    vp_host_read(&h);
    vp_host_json(&b.j, NULL, &h);
    return vp_json_buf_close(&b);
}

/* The memory limit of this process's cgroup, 0 when there is none. */
static uint64_t cgroup_mem_limit(void)
{
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (f == NULL)
        return 0;
    char line[1024], path[1200];
    uint64_t limit = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *rel = strrchr(line, ':');
        if (rel == NULL)
            continue;
        if (strncmp(line, "0::", 3) == 0 && cgroup_version() == 2)
            snprintf(path, sizeof path, "/sys/fs/cgroup%s/memory.max", rel + 1);
        else if (strstr(line, ":memory:"))
            snprintf(path, sizeof path, "/sys/fs/cgroup/memory%s/memory.limit_in_bytes", rel + 1);
        else
            continue;
        uint64_t v = read_u64_file(path); /* "max" reads as 0 */
        /* v1 reports "no limit" as a huge page-rounded number */
        if (v > 0 && v < (UINT64_C(1) << 60))
            limit = v;
    }
    fclose(f);
    return limit;
}

uint64_t vp_mem_available(void)
{
    uint64_t avail = meminfo_bytes("MemAvailable");
    uint64_t limit = cgroup_mem_limit();
    if (limit > 0 && limit < avail)
        avail = limit; /* usage inside the cgroup is not subtracted: a bound, not a promise */
    return avail;
}
