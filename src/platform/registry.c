/* The one list of platforms, and the checks every driver shares. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "platform/platform.h"

extern const struct vp_platform_ops vp_platform_native;
extern const struct vp_platform_ops vp_platform_container;
extern const struct vp_platform_ops vp_platform_vm;
extern const struct vp_platform_ops vp_platform_libvirt;
extern const struct vp_platform_ops vp_platform_host;

const struct vp_platform_ops *const vp_platforms[] = {
    &vp_platform_native,  &vp_platform_container, &vp_platform_vm,
    &vp_platform_libvirt, &vp_platform_host,      NULL,
};

const struct vp_platform_ops *vp_platform_find(const char *name)
{
    for (int i = 0; vp_platforms[i]; i++)
        if (strcmp(vp_platforms[i]->name, name) == 0)
            return vp_platforms[i];
    return NULL;
}

void vp_appliance_spec_init(struct vp_appliance_spec *spec, const char *name)
{
    memset(spec, 0, sizeof *spec);
    snprintf(spec->name, sizeof spec->name, "%s", name);
    spec->weight = 256;
}

int vp_cpus_online(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* The CPU ranges of list as bits of m, and their count; syntax and the
 * mask's bound only. */
static int parse_ranges(const char *field, const char *list, struct vp_cpumask *m,
                        struct vp_err *err)
{
    memset(m, 0, sizeof *m);
    const size_t w = 8 * sizeof(unsigned long);
    int count = 0;
    const char *p = list;
    while (*p) {
        char *end;
        long a = strtol(p, &end, 10), b = a;
        if (end == p || a < 0)
            return vp_input_error(err, "%s \"%s\": not a CPU list such as 0,2-3", field, list);
        p = end;
        if (*p == '-') {
            b = strtol(p + 1, &end, 10);
            if (end == p + 1 || b < a)
                return vp_input_error(err, "%s \"%s\": bad range", field, list);
            p = end;
        }
        if (*p == ',')
            p++;
        else if (*p)
            return vp_input_error(err, "%s \"%s\": not a CPU list such as 0,2-3", field, list);
        /* the bitmap's bound first: a number past it was cast to int and
         * written far outside the mask ("4294967296" read as CPU 0) */
        if (b >= (long)(8 * sizeof m->bits))
            return vp_input_error(err, "%s \"%s\": CPU %ld does not exist or is offline", field,
                                  list, b);
        for (long c = a; c <= b; c++) {
            if (!(m->bits[c / w] & (1UL << (c % w))))
                count++;
            m->bits[c / w] |= 1UL << (c % w);
        }
    }
    return count;
}

/* The online CPUs: the kernel's own list, read once (a file read per CPU
 * named made a long list cost thousands of system calls). */
static void online_cpus(struct vp_cpumask *online)
{
    char buf[4096] = "";
    FILE *f = fopen("/sys/devices/system/cpu/online", "r");
    if (f) {
        if (!fgets(buf, sizeof buf, f))
            buf[0] = '\0';
        fclose(f);
    }
    buf[strcspn(buf, "\n")] = '\0';
    struct vp_err ignored = {0};
    if (buf[0] && parse_ranges("online", buf, online, &ignored) > 0)
        return;
    snprintf(buf, sizeof buf, "0-%d", vp_cpus_online() - 1); /* no sysfs: count them */
    parse_ranges("online", buf, online, &ignored);
}

int vp_cpulist_parse(const char *field, const char *list, struct vp_cpumask *m, struct vp_err *err)
{
    int count = parse_ranges(field, list, m, err);
    if (count <= 0)
        return count;
    struct vp_cpumask online;
    online_cpus(&online);
    const size_t w = 8 * sizeof(unsigned long);
    for (size_t i = 0; i < sizeof m->bits / sizeof m->bits[0]; i++) {
        unsigned long missing = m->bits[i] & ~online.bits[i];
        if (missing)
            return vp_input_error(err, "%s \"%s\": CPU %zu does not exist or is offline", field,
                                  list, i * w + (size_t)__builtin_ctzl(missing));
    }
    return count;
}

int vp_appliance_spec_check(const struct vp_appliance_spec *s, struct vp_err *err)
{
    int online = vp_cpus_online();
    size_t n = strlen(s->name);
    if (n == 0 || n > 63)
        return vp_input_error(err, "name \"%s\": 1 to 63 characters", s->name);
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s->name[i]) && !strchr("_.-", s->name[i]))
            return vp_input_error(err, "name \"%s\": only letters, digits, '_', '.', '-'", s->name);
    if (s->weight < 1 || s->weight > 65535)
        return vp_input_error(err, "weight %lld: out of range 1..65535", (long long)s->weight);
    if (s->cap < 0 || s->cap > 100LL * online)
        return vp_input_error(err, "cap %lld: out of range 0..%d (percent of one CPU, %d online)",
                              (long long)s->cap, 100 * online, online);
    if (s->vcpus < 0)
        return vp_input_error(err, "vcpus %lld: must be 0 (all) or more", (long long)s->vcpus);
    if (s->vcpus > online && !s->overcommit)
        return vp_input_error(err, "vcpus %lld: more than the %d online CPUs (set overcommit)",
                              (long long)s->vcpus, online);
    if (s->net < VP_NET_NONE || s->net > VP_NET_DIRECT)
        return vp_input_error(err, "net %d: not none, bridge, routed or direct", s->net);
    if (s->nnics < 0 || s->nnics > VP_SPEC_MAX_NICS)
        return vp_input_error(err, "%d network cards: at most %d", s->nnics, VP_SPEC_MAX_NICS);
    if (s->cpus[0]) {
        struct vp_cpumask m;
        int rc = vp_cpulist_parse("cpus", s->cpus, &m, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int vp_appliance_spec_no_nics(const struct vp_appliance_spec *s, const char *platform,
                              struct vp_err *err)
{
    return s->nnics ? vp_input_error(err, "platform %s: no network cards besides its own", platform)
                    : 0;
}
