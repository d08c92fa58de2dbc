/* The plan shown to people (--dry-run) and as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "drivers/driver.h"
#include "drivers/app.h"
#include "experiment/experiment.h"

static const char *const scheme_text[] = {"float", "exclusive", "shared-one"};
static const char *const net_text[] = {"none", "bridge", "routed", "direct"};

/* "count=4 platform=native", or "(no matrix)". */
static void params_text(const struct vp_point *pt, char *buf, size_t len)
{
    buf[0] = '\0';
    for (int i = 0; i < pt->nparams; i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s%s=%s", i ? " " : "", pt->params[i][0],
                 pt->params[i][1]);
    }
    if (buf[0] == '\0')
        snprintf(buf, len, "(no matrix)");
}

/* A command line as text, "virtperf" for /proc/self/exe. */
static void join(const struct vp_cmdline *cl, char *buf, size_t len)
{
    buf[0] = '\0';
    for (int i = 0; i < cl->argc; i++) {
        size_t used = strlen(buf);
        const char *a = strcmp(cl->argv[i], "/proc/self/exe") == 0 ? "virtperf" : cl->argv[i];
        snprintf(buf + used, len - used, "%s%s", used ? " " : "", a);
    }
}

/* What runs in an appliance, without the runner's own arguments; a
 * server's address is known only once it listens. */
static void command_text(const struct vp_point *pt, const struct vp_instance *in, char *buf,
                         size_t len)
{
    struct vp_cmdline cl;
    struct vp_err err = {0};
    struct vp_app_opts app;
    buf[0] = '\0';
    if (pt->kind == VP_POINT_RUN && pt->apps[in->app].server == &vp_server_app) {
        if (vp_exp_app_opts(&pt->apps[in->app], &app, &err) == 0)
            snprintf(buf, len, "%s", app.command);
        return;
    }
    int rc = pt->kind == VP_POINT_RUN && pt->apps[in->app].server
                 ? vp_server_cmdline(pt, in, "ADDRESS:0", &cl, &err)
                 : vp_instance_cmdline(pt, in, NULL, -1, &cl, &err);
    if (rc == 0)
        join(&cl, buf, len);
}

/* The generator of load l against instance in. */
/* The generator's command line against instance in (NULL: a load with a
 * test bed of its own). */
static void load_text(const struct vp_exp_load *l, const struct vp_instance *in, char *buf,
                      size_t len)
{
    struct vp_cmdline cl;
    struct vp_err err = {0};
    char target[96];
    snprintf(target, sizeof target, "%s:PORT", in ? in->name : "");
    buf[0] = '\0';
    if (vp_load_cmdline(l, in ? target : NULL, NULL, &cl, &err) == 0)
        join(&cl, buf, len);
}

/* Call fn for every generator of the point: each load times each instance
 * of its target (in NULL: a load without a target). */
static void each_generator(const struct vp_point *pt,
                           void (*fn)(void *arg, const struct vp_exp_load *l,
                                      const struct vp_instance *in),
                           void *arg)
{
    int target[VP_EXP_MAX_INSTANCES];
    for (int l = 0; l < pt->nloads; l++) {
        int n = vp_load_targets(pt, &pt->loads[l], target);
        for (int k = 0; k < n; k++)
            fn(arg, &pt->loads[l], target[k] < 0 ? NULL : &pt->inst[target[k]]);
    }
}

static void print_generator(void *arg, const struct vp_exp_load *l, const struct vp_instance *in)
{
    char buf[1024];
    load_text(l, in, buf, sizeof buf);
    if (vp_exp_host_remote(l->f.host))
        fprintf(arg, "  load %-8s -> %s, generator host=%s: %s\n", l->f.name,
                in ? in->name : "its own test bed", l->f.host, buf);
    else
        fprintf(arg, "  load %-8s -> %s, generator cpus=%s weight=%lld: %s\n", l->f.name,
                in ? in->name : "its own test bed", l->f.cpus[0] ? l->f.cpus : "float",
                (long long)l->f.weight, buf);
}

static void json_generator(void *arg, const struct vp_exp_load *l, const struct vp_instance *in)
{
    struct vp_json *j = arg;
    char buf[1024];
    load_text(l, in, buf, sizeof buf);
    vp_json_object_begin(j, NULL);
    vp_json_string(j, "load", l->f.name);
    vp_json_string(j, "driver", l->driver->name);
    vp_json_string(j, "target", in ? in->name : NULL);
    vp_json_string(j, "cpus", l->f.cpus);
    vp_json_string(j, "host", vp_exp_host_remote(l->f.host) ? l->f.host : NULL);
    vp_json_string(j, "command", buf);
    vp_json_object_end(j);
}

static void fields_text(const struct vp_exp_fields *f, char *buf, size_t len)
{
    char mem[32];
    if (f->memory)
        snprintf(mem, sizeof mem, "%llu", (unsigned long long)f->memory);
    else
        snprintf(mem, sizeof mem, "none");
    snprintf(buf, len, "vcpus=%lld cpus=%s weight=%lld cap=%lld memory=%s net=%s%s%s",
             (long long)f->vcpus, f->cpus[0] ? f->cpus : "float", (long long)f->weight,
             (long long)f->cap, mem, net_text[f->net], f->user[0] ? " user=" : "", f->user);
}

void vp_plan_print(FILE *out, const struct vp_experiment *exp, const struct vp_plan *plan)
{
    fprintf(out, "experiment %s (%s): %d points", exp->s.name, exp->path, plan->nrun);
    if (plan->npoints > plan->nrun)
        fprintf(out, " + %d idle-overhead points", plan->npoints - plan->nrun);
    if (exp->nloads > 0)
        fprintf(out, "; workloads next to loads run rounds until the loads end\n");
    else
        fprintf(out, ", %lld rounds + %lld warm-up per appliance\n", (long long)exp->s.rounds,
                (long long)exp->s.warmup);
    if (exp->time_host[0])
        fprintf(out, "time server: virtperf timeserver --listen %s on host %s, for the whole run\n",
                exp->s.timeserver, exp->time_host);
    for (int i = 0; i < plan->npoints; i++) {
        const struct vp_point *pt = &plan->points[i];
        char params[1024], buf[1024];
        params_text(pt, params, sizeof params);
        fprintf(out, "\n%s %d/%d: %s\n", pt->kind == VP_POINT_RUN ? "point" : "idle", i + 1,
                plan->npoints, params);
        fprintf(out, "  platform %s, scheme %s, P=%d CPUs", pt->s.platform,
                scheme_text[pt->s.scheme], pt->cpus_available);
        if (pt->kind == VP_POINT_IDLE)
            fprintf(out, ", host CPU sampled for %.1f s", (double)exp->overhead_seconds / 1e9);
        fputc('\n', out);
        if (pt->warning[0])
            fprintf(out, "  warning: %s\n", pt->warning);
        for (int k = 0; k < pt->ninst; k++) {
            const struct vp_instance *in = &pt->inst[k];
            fields_text(&in->f, buf, sizeof buf);
            fprintf(out, "  creates %-12s %s%s%s\n", in->name, buf,
                    vp_exp_remote(&in->f) ? " host=" : "", vp_exp_remote(&in->f) ? in->f.host : "");
            command_text(pt, in, buf, sizeof buf);
            fprintf(out, "  %12s runs %s\n", "", buf);
        }
        if (pt->kind == VP_POINT_RUN)
            each_generator(pt, print_generator, out);
    }
}

void vp_plan_print_doc(struct vp_doc *d, FILE *out, const struct vp_experiment *exp,
                       const struct vp_plan *plan)
{
    struct vp_json *j = vp_doc_start(d, out, false);
    vp_json_string(j, "name", exp->s.name);
    vp_json_string(j, "file", exp->path);
    vp_json_int(j, "rounds", exp->s.rounds);
    vp_json_int(j, "warmup", exp->s.warmup);
    vp_json_bool(j, "dry_run", true);
    if (exp->time_host[0]) { /* started by the run on that host */
        vp_json_object_begin(j, "time_server");
        vp_json_string(j, "host", exp->time_host);
        vp_json_string(j, "listen", exp->s.timeserver);
        vp_json_object_end(j);
    } else {
        vp_json_null(j, "time_server");
    }
    j = vp_doc_rows(d);
    for (int i = 0; i < plan->npoints; i++) {
        const struct vp_point *pt = &plan->points[i];
        vp_json_object_begin(j, NULL);
        vp_json_int(j, "index", pt->index);
        vp_json_string(j, "kind", pt->kind == VP_POINT_RUN ? "run" : "idle");
        char *params = vp_point_params_json(pt, NULL);
        vp_json_raw(j, "params", params ? params : "{}");
        free(params);
        vp_json_string(j, "platform", pt->s.platform);
        vp_json_string(j, "scheme", scheme_text[pt->s.scheme]);
        vp_json_int(j, "cpus_available", pt->cpus_available);
        vp_json_string(j, "warning", pt->warning[0] ? pt->warning : NULL);
        vp_json_array_begin(j, "appliances");
        for (int k = 0; k < pt->ninst; k++) {
            const struct vp_instance *in = &pt->inst[k];
            char cmd[1024];
            vp_json_object_begin(j, NULL);
            vp_json_string(j, "name", in->name);
            vp_json_int(j, "vcpus", in->f.vcpus);
            vp_json_string(j, "cpus", in->f.cpus);
            vp_json_int(j, "weight", in->f.weight);
            vp_json_int(j, "cap", in->f.cap);
            vp_json_int(j, "memory", (int64_t)in->f.memory);
            vp_json_string(j, "net", net_text[in->f.net]);
            vp_json_string(j, "user", in->f.user[0] ? in->f.user : NULL);
            vp_json_string(j, "host", vp_exp_remote(&in->f) ? in->f.host : NULL);
            command_text(pt, in, cmd, sizeof cmd);
            vp_json_string(j, "role", vp_exp_role_names[in->f.role]);
            vp_json_string(j, "command", cmd);
            vp_json_object_end(j);
        }
        vp_json_array_end(j);
        vp_json_array_begin(j, "loads");
        if (pt->kind == VP_POINT_RUN)
            each_generator(pt, json_generator, j);
        vp_json_array_end(j);
        vp_json_object_end(j);
    }
    j = vp_doc_end(d);
    vp_json_int(j, "points", plan->npoints);
    vp_json_int(j, "run_points", plan->nrun);
    vp_doc_close(d, NULL);
}
