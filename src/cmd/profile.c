/* virtperf profile: sample cgroups, processes and interfaces from the host
 * for a while, then summarise (per series mean and peak, and the profiler's
 * own cost). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/clock.h"
#include "core/doc.h"
#include "core/json.h"
#include "core/signals.h"
#include "core/units.h"
#include "profiler/profiler.h"

struct profile_opts {
    uint64_t duration, interval;
    bool json;
    char csv[VP_STR_MAX];
    char store[VP_STR_MAX];
    char prometheus[VP_STR_MAX];
    bool no_cores;
    bool realtime;
    int64_t parent;
};

static const struct vp_opt profile_opt_table[] = {
    {"duration", VP_OPT_DURATION, offsetof(struct profile_opts, duration), "0", 0, 0, NULL,
     "how long to profile; 0 until SIGINT or SIGTERM", false},
    {"interval", VP_OPT_DURATION, offsetof(struct profile_opts, interval), "1s", 1e7, 3.6e12, NULL,
     "sampling interval, at least 10ms", false},
    {"json", VP_OPT_BOOL, offsetof(struct profile_opts, json), NULL, 0, 0, NULL,
     "print the summary as JSON (sections start, intervals (none: the samples are in the "
     "CSV and the store), end with each series, error)",
     false},
    {"csv", VP_OPT_OUTPUT, offsetof(struct profile_opts, csv), NULL, 0, 0, NULL,
     "write every sample to FILE (t_s,target,metric,value; counters as rates per second)", false},
    {"store", VP_OPT_OUTPUT, offsetof(struct profile_opts, store), NULL, 0, 0, NULL,
     "write samples to this results store (tables profiles, profile_samples)", false},
    {"prometheus", VP_OPT_STRING, offsetof(struct profile_opts, prometheus), NULL, 0, 0, NULL,
     "serve the Prometheus text format at ADDR:PORT (PORT or :PORT: loopback; port 0: any)", false},
    {"no-cores", VP_OPT_BOOL, offsetof(struct profile_opts, no_cores), NULL, 0, 0, NULL,
     "leave out the per-core /proc/stat source", false},
    {"realtime", VP_OPT_BOOL, offsetof(struct profile_opts, realtime), NULL, 0, 0, NULL,
     "run the sampler thread SCHED_FIFO (priority 1) so it is on time on a loaded host", false},
    /* up to 2^53: the range is a double, which holds every id to there exactly */
    {"parent", VP_OPT_INT, offsetof(struct profile_opts, parent), "0", 0, 9007199254740992.0, NULL,
     "the stored profile this one is part of (an experiment point's, for its appliances on "
     "this host)",
     true},
    VP_OPT_END,
};

#define MAX_TARGETS 1024

enum tkind { T_CGROUP, T_PID, T_IFACE, T_TAG };

struct target_arg {
    enum tkind kind;
    char name[64];
    const char *spec;
};

/* "NAME=VALUE" → name and value; without "=", name is made by the caller. */
static const char *split_name(const char *arg, char *name, size_t len)
{
    const char *eq = strchr(arg, '=');
    if (eq == NULL)
        return NULL;
    snprintf(name, len, "%.*s", (int)(eq - arg), arg);
    return eq + 1;
}

/* Take the repeatable target options out of argv. */
static int take_targets(int *argc, char **argv, struct target_arg *ta, int *nta, struct vp_err *err)
{
    static const struct {
        const char *opt;
        enum tkind kind;
    } kinds[] = {{"--cgroup", T_CGROUP},
                 {"--appliance", T_CGROUP},
                 {"--pid", T_PID},
                 {"--iface", T_IFACE},
                 {"--tag", T_TAG}};
    int k = 0;
    for (int i = 0; i < *argc; i++) {
        int which = -1;
        const char *val = NULL;
        for (int j = 0; j < (int)(sizeof kinds / sizeof kinds[0]); j++) {
            size_t l = strlen(kinds[j].opt);
            if (strcmp(argv[i], kinds[j].opt) == 0) {
                which = j;
                if (i + 1 >= *argc)
                    return vp_input_error(err, "%s: expects a value", kinds[j].opt);
                val = argv[++i];
            } else if (strncmp(argv[i], kinds[j].opt, l) == 0 && argv[i][l] == '=') {
                which = j;
                val = argv[i] + l + 1;
            }
            if (which >= 0)
                break;
        }
        if (which < 0) {
            argv[k++] = argv[i];
            continue;
        }
        if (*nta == MAX_TARGETS)
            return vp_input_error(err, "too many targets (at most %d)", MAX_TARGETS);
        struct target_arg *t = &ta[(*nta)++];
        t->kind = kinds[which].kind;
        const char *spec = split_name(val, t->name, sizeof t->name);
        if (which == 1 && spec == NULL)
            return vp_input_error(err, "--appliance \"%s\": expected NAME=CGROUP", val);
        if (t->kind == T_TAG && spec == NULL)
            return vp_input_error(err, "--tag \"%s\": expected NAME=TAG", val);
        t->spec = spec ? spec : val;
        if (spec)
            continue;
        if (t->kind == T_CGROUP) { /* the last component of the path */
            const char *end = t->spec + strlen(t->spec);
            while (end > t->spec && end[-1] == '/')
                end--;
            const char *b = end;
            while (b > t->spec && b[-1] != '/')
                b--;
            snprintf(t->name, sizeof t->name, "%.*s", (int)(end - b), b);
        } else if (t->kind == T_PID) {
            snprintf(t->name, sizeof t->name, "pid%s", t->spec);
        } else {
            const char *slash = strchr(t->spec, '/');
            if (slash)
                snprintf(t->name, sizeof t->name, "%.*s", (int)(slash - t->spec), t->spec);
            else
                snprintf(t->name, sizeof t->name, "host");
        }
    }
    *argc = k;
    return 0;
}

static int add_targets(struct vp_profiler *p, const struct target_arg *ta, int nta,
                       struct vp_err *err)
{
    for (int i = 0; i < nta; i++) {
        int rc = 0;
        if (ta[i].kind == T_CGROUP) {
            rc = vp_profiler_add_cgroup(p, ta[i].name, ta[i].spec, err);
        } else if (ta[i].kind == T_IFACE) {
            rc = vp_profiler_add_iface(p, ta[i].name, ta[i].spec, err);
        } else if (ta[i].kind == T_TAG) {
            rc = vp_profiler_add_tag(p, ta[i].name, ta[i].spec, err);
        } else {
            char *end;
            long pid = strtol(ta[i].spec, &end, 10);
            if (ta[i].spec[0] == '\0' || *end || pid <= 0 || pid > 0x3fffffff)
                rc = vp_input_error(err, "--pid \"%s\": expected a process id", ta[i].spec);
            else
                rc = vp_profiler_add_pid(p, ta[i].name, (pid_t)pid, err);
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

struct printer {
    struct vp_json *j;
};

/* One summary row: CPU-like rates in % of one core, the rest as they are. */
static void print_row(void *arg, const struct vp_profiler_row *r)
{
    struct printer *pr = arg;
    const char *target = r->target, *metric = r->metric;
    bool counter = r->counter;
    double mean = r->mean, max = r->max;
    if (pr->j) {
        vp_json_object_begin(pr->j, NULL);
        vp_json_string(pr->j, "target", target);
        vp_json_string(pr->j, "metric", metric);
        vp_json_string(pr->j, "kind", counter ? "rate_per_s" : "gauge");
        vp_json_double(pr->j, "mean", mean);
        vp_json_double(pr->j, "max", max);
        vp_json_double(pr->j, "total", r->total);
        vp_json_object_end(pr->j);
        return;
    }
    bool pct = strncmp(metric, "cpu.", 4) == 0 && strcmp(metric, "cpu.periods") != 0 &&
               strcmp(metric, "cpu.throttled_periods") != 0;
    pct = pct || strcmp(metric, "runq_wait") == 0;
    if (pct)
        printf("%-24s %-22s %10.2f %10.2f  %% of a core\n", target, metric, 100 * mean, 100 * max);
    else if (!counter)
        printf("%-24s %-22s %10.4g %10.4g\n", target, metric, mean, max);
    else
        printf("%-24s %-22s %10.4g %10.4g  /s\n", target, metric, mean, max);
}

static void print_self(const struct vp_profiler_self *s, double proc_pct, bool interrupted,
                       struct vp_json *j)
{
    if (j) { /* the end section is open, after the series */
        vp_json_bool(j, "interrupted", interrupted);
        vp_json_int(j, "samples", (int64_t)s->samples);
        vp_json_int(j, "missed", (int64_t)s->missed);
        vp_json_double(j, "elapsed_s", s->elapsed_s);
        vp_json_double(j, "profiler_cpu_s", s->cpu_s);
        vp_json_double(j, "profiler_cpu_percent", s->cpu_percent);
        vp_json_double(j, "process_cpu_percent", proc_pct);
        vp_json_double(j, "lateness_p50_s", s->lateness_p50_s);
        vp_json_double(j, "lateness_p99_s", s->lateness_p99_s);
        vp_json_double(j, "lateness_max_s", s->lateness_max_s);
        return;
    }
    printf("\nprofiler: %llu samples in %.2f s, %llu missed%s; CPU %.3f%% of one core "
           "(sampler thread; whole process %.3f%%); lateness p50 %.3f ms, p99 %.3f ms, "
           "max %.3f ms\n",
           (unsigned long long)s->samples, s->elapsed_s, (unsigned long long)s->missed,
           interrupted ? " (interrupted)" : "", s->cpu_percent, proc_pct, 1e3 * s->lateness_p50_s,
           1e3 * s->lateness_p99_s, 1e3 * s->lateness_max_s);
}

/* Wait for the duration, or until interrupted when it is 0. */
static bool wait_for(uint64_t duration)
{
    if (duration > 0)
        return vp_sleep_ns(duration) == -EINTR;
    while (!vp_interrupted)
        vp_sleep_ns(100000000u);
    return true;
}

static int run(int argc, char **argv)
{
    struct profile_opts o;
    struct vp_err err = {0};
    struct target_arg *ta = calloc(MAX_TARGETS, sizeof *ta);
    struct vp_profiler *p = NULL;
    struct vp_doc doc;
    int nta = 0, rc;
    vp_doc_init(&doc, VP_DOC_INTERVALS, argc, argv);
    vp_opt_defaults(profile_opt_table, &o, &err);
    if (ta == NULL) {
        vp_run_error(&err, ENOMEM, "profile");
        return vp_doc_fail(&doc, o.json, &err);
    }
    argc--;
    argv++;
    struct vp_optset sets[] = {{profile_opt_table, &o}};
    char *pos[1];
    int npos;
    if ((rc = take_targets(&argc, argv, ta, &nta, &err)) < 0 ||
        (rc = vp_opt_parse_argv(sets, 1, argc, argv, pos, 0, &npos, &err)) < 0)
        goto out;
    if (nta == 0 && o.no_cores) {
        rc = vp_input_error(&err, "profile: nothing to sample (name a --cgroup, --appliance, "
                                  "--pid, --iface or --tag, or drop --no-cores)");
        goto out;
    }
    char command[64];
    snprintf(command, sizeof command, "virtperf profile (%d targets)", nta);
    struct vp_profiler_cfg cfg = {
        .interval_ns = o.interval,
        .store_path = o.store[0] ? o.store : NULL,
        .csv_path = o.csv[0] ? o.csv : NULL,
        .prometheus = o.prometheus[0] ? o.prometheus : NULL,
        .command = command,
        .no_cores = o.no_cores,
        .realtime = o.realtime,
        .parent_id = o.parent,
    };
    uint64_t cpu0 = vp_cpu_self_ns();
    if ((rc = vp_profiler_start(&cfg, &p, &err)) < 0 || (rc = add_targets(p, ta, nta, &err)) < 0)
        goto out;
    if (vp_profiler_prometheus_port(p) > 0)
        fprintf(stderr, "virtperf: profile: Prometheus metrics on port %d\n",
                vp_profiler_prometheus_port(p));
    bool interrupted = wait_for(o.duration);
    struct vp_profiler_self self;
    rc = vp_profiler_stop(p, &self, &err);
    double proc_pct =
        self.elapsed_s > 0 ? 100 * (double)(vp_cpu_self_ns() - cpu0) / 1e9 / self.elapsed_s : 0;
    if (rc < 0)
        goto out;
    struct printer pr = {NULL};
    if (o.json) { /* every sample is in --csv/--store; the document sums them up */
        struct vp_json *j = vp_doc_start(&doc, stdout, false);
        vp_json_double(j, "interval_s", (double)o.interval / 1e9);
        vp_json_double(j, "duration_s", (double)o.duration / 1e9);
        vp_json_int(j, "profile_id", vp_profiler_id(p));
        vp_json_array_begin(j, "targets");
        for (int i = 0; i < nta; i++) {
            vp_json_object_begin(j, NULL);
            vp_json_string(j, "name", ta[i].name);
            vp_json_string(j, "kind",
                           ta[i].kind == T_CGROUP ? "cgroup"
                           : ta[i].kind == T_PID  ? "pid"
                                                  : "iface");
            vp_json_string(j, "spec", ta[i].spec);
            vp_json_object_end(j);
        }
        vp_json_array_end(j);
        j = vp_doc_end(&doc);
        vp_json_array_begin(j, "series");
        pr.j = j;
    } else {
        printf("%-24s %-22s %10s %10s\n", "target", "metric", "mean", "max");
    }
    vp_profiler_summary(p, print_row, &pr);
    if (o.json)
        vp_json_array_end(pr.j);
    print_self(&self, proc_pct, interrupted, pr.j);
    if (o.json)
        vp_doc_close(&doc, NULL);
out:
    vp_profiler_free(p);
    free(ta);
    return rc < 0 ? vp_doc_fail(&doc, o.json, &err) : VP_EXIT_OK;
}

static void profile_help(FILE *f)
{
    fputs("Samples from the host, on absolute CLOCK_MONOTONIC deadlines: per-core time\n"
          "(/proc/stat), per-cgroup CPU, throttling, memory and block I/O (v1 or v2),\n"
          "per-process and per-thread CPU, context switches and run-queue wait (QEMU\n"
          "vCPU threads labelled), per-interface bytes, packets and drops. Ends with\n"
          "each series' mean and peak rate and the profiler's own CPU and lateness.\n\n"
          "Targets (each may be repeated):\n"
          "  --cgroup PATH         a cgroup: /a/b from the root of each hierarchy, a/b\n"
          "                        below this process's own cgroup, or a mount path\n"
          "  --appliance NAME=CGROUP  the same, named\n"
          "  --pid [NAME=]PID      a process and its threads\n"
          "  --iface [NAME=][NETNS/]IF  an interface, of the host or of netns NETNS\n"
          "  --tag NAME=TAG        the processes under the agents tagged TAG (an\n"
          "                        appliance of a runner on another host)\n\n"
          "Options:\n",
          f);
    vp_opt_print_help(f, profile_opt_table);
}

const struct vp_command vp_cmd_profile = {
    .name = "profile",
    .run = run,
    .summary = "sample appliances' CPU, run-queue wait, network and disk from the host",
    .usage = "virtperf profile [--cgroup PATH]... [--pid PID]... [--iface IF]...\n"
             "                 [--appliance NAME=CGROUP]... [--duration T] [--interval T]\n"
             "                 [--csv FILE] [--store FILE] [--prometheus ADDR:PORT] [--json]",
    .help = profile_help,
};
