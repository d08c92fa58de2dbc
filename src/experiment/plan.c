/* The plan: the matrix expanded into points, each with its instances. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "experiment/experiment.h"

#define VP_PLAN_MAX_POINTS    512
#define VP_PLAN_MAX_PLATFORMS 8

/* Keys a matrix cannot sweep: they decide what the options mean. */
static const char *const fixed_keys[] = {"name", "workload", "preset", NULL};

/* Set a workload option on one template, checked against its table. */
static int apply_workload_opt(struct vp_exp_app *a, const char *key, const char *value,
                              struct vp_err *err)
{
    void *params = calloc(1, a->w->params_size);
    if (params == NULL)
        return vp_run_error(err, ENOMEM, "experiment");
    int rc = vp_opt_defaults(a->w->opts, params, err);
    for (int i = 0; rc == 0 && i < a->nopts; i++)
        rc = vp_opt_set(a->w->opts, params, a->opts[i].key, a->opts[i].value, err);
    if (rc == 0)
        rc = vp_opt_set(a->w->opts, params, key, value, err);
    free(params);
    if (rc < 0)
        return rc;
    if (a->nopts >= VP_EXP_MAX_KV)
        return vp_input_error(err, "%s: too many workload options", key);
    struct vp_kv *kv = &a->opts[a->nopts++];
    memset(kv, 0, sizeof *kv);
    snprintf(kv->key, sizeof kv->key, "%s", key);
    snprintf(kv->value, sizeof kv->value, "%s", value);
    return 0;
}

int vp_exp_apply(struct vp_exp_settings *s, struct vp_exp_app *apps, int napps, const char *key,
                 const char *value, struct vp_err *err)
{
    char target[VP_STR_MAX] = "";
    const char *dot = strchr(key, '.');
    if (dot) {
        snprintf(target, sizeof target, "%.*s", (int)(dot - key), key);
        key = dot + 1;
    }
    for (int i = 0; fixed_keys[i]; i++)
        if (strcmp(key, fixed_keys[i]) == 0)
            return vp_input_error(err, "matrix: \"%s\" cannot be swept", key);
    if (target[0] == '\0' && vp_opt_find(vp_exp_settings_opts, key))
        return vp_opt_set(vp_exp_settings_opts, s, key, value, err);
    bool field = vp_opt_find(vp_exp_fields_opts, key) != NULL;
    int matched = 0;
    for (int i = 0; i < napps; i++) {
        struct vp_exp_app *a = &apps[i];
        if (target[0] && strcmp(target, a->f.name) != 0)
            continue;
        int rc;
        if (field) {
            rc = vp_opt_set(vp_exp_fields_opts, &a->f, key, value, err);
            if (strcmp(key, "count") == 0)
                a->count_given = true;
        } else if (vp_opt_find(a->w->opts, key)) {
            rc = apply_workload_opt(a, key, value, err);
        } else {
            continue;
        }
        if (rc < 0)
            return rc;
        matched++;
    }
    if (matched == 0) {
        if (target[0])
            vp_input_error(err, "matrix key \"%s.%s\": no appliance \"%s\" with that key", target,
                           key, target);
        else
            vp_input_error(err,
                           "unknown matrix key \"%s\" (not a setting, appliance field or "
                           "workload option)",
                           key);
        return -ENOENT;
    }
    return 0;
}

/* Parse a cpulist "0,2-3" into marks[]; input error naming the appliance. */
static int parse_cpulist(const char *list, const char *who, bool *marks, struct vp_err *err)
{
    const char *p = list;
    while (*p) {
        char *end;
        long lo = strtol(p, &end, 10), hi = lo;
        if (end == p || lo < 0)
            goto bad;
        if (*end == '-') {
            p = end + 1;
            hi = strtol(p, &end, 10);
            if (end == p || hi < lo)
                goto bad;
        }
        if (hi >= VP_EXP_MAX_CPUS)
            return vp_input_error(err, "appliance %s: cpus \"%s\": no core %ld on this machine",
                                  who, list, hi);
        for (long c = lo; c <= hi; c++)
            marks[c] = true;
        if (*end == ',')
            end++;
        else if (*end != '\0')
            goto bad;
        p = end;
    }
    return 0;
bad:
    return vp_input_error(err, "appliance %s: cpus \"%s\": not a cpulist like 0,2-3", who, list);
}

/* Check pinning against the CPUs the experiment may use and count them. */
static int check_pinning(struct vp_point *pt, const struct vp_cpuset *cpus, struct vp_err *err)
{
    bool allowed[VP_EXP_MAX_CPUS] = {false}, used[VP_EXP_MAX_CPUS] = {false};
    bool all_pinned = true;
    int rc;
    for (int i = 0; i < cpus->n; i++)
        allowed[cpus->cpu[i]] = true;
    for (int i = 0; i < pt->ninst; i++) {
        struct vp_instance *in = &pt->inst[i];
        bool mine[VP_EXP_MAX_CPUS] = {false};
        if (in->f.cpus[0] == '\0') {
            all_pinned = false;
            continue;
        }
        if ((rc = parse_cpulist(in->f.cpus, in->name, mine, err)) < 0)
            return rc;
        for (int c = 0; c < VP_EXP_MAX_CPUS; c++) {
            if (mine[c] && !allowed[c])
                return vp_input_error(err,
                                      "appliance %s: cpus \"%s\": core %d does not exist "
                                      "or is not ours",
                                      in->name, in->f.cpus, c);
            used[c] |= mine[c];
        }
    }
    pt->cpus_available = cpus->n;
    if (all_pinned && pt->ninst > 0) {
        pt->cpus_available = 0;
        for (int c = 0; c < VP_EXP_MAX_CPUS; c++)
            pt->cpus_available += used[c];
    }
    return 0;
}

/* The instances of a point's templates, named, with the scheme applied. */
static int make_instances(struct vp_point *pt, const struct vp_cpuset *cpus, struct vp_err *err)
{
    int64_t vcpus = 0;
    pt->ninst = 0;
    for (int a = 0; a < pt->napps; a++) {
        const struct vp_exp_app *t = &pt->apps[a];
        for (int k = 1; k <= t->f.count; k++) {
            if (pt->ninst >= VP_EXP_MAX_INSTANCES)
                return vp_input_error(err, "point %d: more than %d appliances", pt->index + 1,
                                      VP_EXP_MAX_INSTANCES);
            struct vp_instance *in = &pt->inst[pt->ninst++];
            in->app = a;
            in->f = t->f;
            if (t->count_given)
                snprintf(in->name, sizeof in->name, "%s-%d", t->f.name, k);
            else
                snprintf(in->name, sizeof in->name, "%s", t->f.name);
            for (int j = 0; j < pt->ninst - 1; j++)
                if (strcmp(pt->inst[j].name, in->name) == 0)
                    return vp_input_error(err, "two appliances named \"%s\"", in->name);
            vcpus += in->f.vcpus ? in->f.vcpus : cpus->n;
        }
    }
    if (vcpus > cpus->n && !pt->s.overcommit)
        return vp_input_error(err,
                              "point %d: vcpus: %lld vCPUs on %d cores; set overcommit: true "
                              "to allow it",
                              pt->index + 1, (long long)vcpus, cpus->n);
    vp_scheme_apply(pt, cpus);
    return check_pinning(pt, cpus, err);
}

/* Point idx of the matrix product, first axis slowest. */
static int expand_point(const struct vp_experiment *exp, int idx, const struct vp_cpuset *cpus,
                        struct vp_point *pt, struct vp_err *err)
{
    int rc;
    pt->index = idx;
    pt->kind = VP_POINT_RUN;
    pt->s = exp->s;
    memcpy(pt->apps, exp->apps, sizeof exp->apps);
    pt->napps = exp->napps;
    int rest = idx;
    for (int a = exp->naxes - 1; a >= 0; a--) {
        const struct vp_exp_axis *ax = &exp->matrix[a];
        const char *v = ax->values[rest % ax->nvalues];
        rest /= ax->nvalues;
        snprintf(pt->params[a][0], VP_STR_MAX, "%s", ax->key);
        snprintf(pt->params[a][1], VP_STR_MAX, "%s", v);
        if ((rc = vp_exp_apply(&pt->s, pt->apps, pt->napps, ax->key, v, err)) < 0)
            return rc;
    }
    pt->nparams = exp->naxes;
    return make_instances(pt, cpus, err);
}

/* An idle point: n appliances of the first template that only sleep. */
static int idle_point(const struct vp_point *like, int idx, int64_t n, const struct vp_cpuset *cpus,
                      struct vp_point *pt, struct vp_err *err)
{
    memset(pt, 0, sizeof *pt);
    pt->index = idx;
    pt->kind = VP_POINT_IDLE;
    pt->s = like->s;
    pt->s.overcommit = true;
    pt->apps[0] = like->apps[0];
    pt->napps = 1;
    snprintf(pt->apps[0].f.name, sizeof pt->apps[0].f.name, "idle");
    pt->apps[0].f.count = n;
    pt->apps[0].count_given = true;
    pt->apps[0].f.cpus[0] = '\0';
    pt->s.scheme = VP_SCHEME_FLOAT;
    snprintf(pt->params[0][0], VP_STR_MAX, "platform");
    snprintf(pt->params[0][1], VP_STR_MAX, "%s", pt->s.platform);
    snprintf(pt->params[1][0], VP_STR_MAX, "idle");
    snprintf(pt->params[1][1], VP_STR_MAX, "%lld", (long long)n);
    pt->nparams = 2;
    return make_instances(pt, cpus, err);
}

int vp_plan_build(const struct vp_experiment *exp, const struct vp_cpuset *cpus,
                  struct vp_plan *plan, struct vp_err *err)
{
    long nrun = 1;
    int rc = 0;
    memset(plan, 0, sizeof *plan);
    for (int a = 0; a < exp->naxes; a++)
        nrun *= exp->matrix[a].nvalues;
    /* every distinct platform gets the idle points */
    int nplat = 0, plat_first[VP_PLAN_MAX_PLATFORMS];
    long total = nrun;
    if (nrun > VP_PLAN_MAX_POINTS)
        return vp_input_error(err, "%s: matrix of %ld points; at most %d", exp->path, nrun,
                              VP_PLAN_MAX_POINTS);
    /* large but mostly untouched: calloc maps zero pages lazily */
    plan->points =
        calloc((size_t)nrun + (size_t)exp->noverhead * VP_PLAN_MAX_PLATFORMS, sizeof *plan->points);
    if (plan->points == NULL)
        return vp_run_error(err, ENOMEM, "plan");
    for (int i = 0; i < nrun; i++) {
        struct vp_point *pt = &plan->points[i];
        if ((rc = expand_point(exp, i, cpus, pt, err)) < 0)
            goto fail;
        bool seen = false;
        for (int j = 0; j < nplat; j++)
            seen |= strcmp(plan->points[plat_first[j]].s.platform, pt->s.platform) == 0;
        if (!seen && nplat == VP_PLAN_MAX_PLATFORMS) {
            rc = vp_input_error(err, "%s: more than %d platforms", exp->path, nplat);
            goto fail;
        }
        if (!seen)
            plat_first[nplat++] = i;
    }
    plan->nrun = (int)nrun;
    for (int j = 0; j < nplat; j++)
        for (int c = 0; c < exp->noverhead; c++, total++)
            if ((rc = idle_point(&plan->points[plat_first[j]], (int)total, exp->overhead_counts[c],
                                 cpus, &plan->points[total], err)) < 0)
                goto fail;
    plan->npoints = (int)total;
    return 0;
fail:
    vp_plan_free(plan);
    return rc;
}

void vp_plan_free(struct vp_plan *plan)
{
    free(plan->points);
    plan->points = NULL;
    plan->npoints = plan->nrun = 0;
}

/* Add one word to a command line; false when it does not fit. */
static bool add_arg(struct vp_cmdline *cl, size_t *used, const char *a)
{
    size_t len = strlen(a) + 1;
    if (*used + len > sizeof cl->buf || cl->argc + 1 >= (int)(sizeof cl->argv / sizeof cl->argv[0]))
        return false;
    memcpy(cl->buf + *used, a, len);
    cl->argv[cl->argc++] = cl->buf + *used;
    cl->argv[cl->argc] = NULL;
    *used += len;
    return true;
}

int vp_instance_cmdline(const struct vp_point *pt, const struct vp_instance *in, const char *store,
                        int barrier_fd, struct vp_cmdline *cl, struct vp_err *err)
{
    const struct vp_exp_app *a = &pt->apps[in->app];
    size_t used = 0;
    char rounds[32], warmup[32], fd[32];
    bool ok = true;
    cl->argc = 0;
    if (pt->kind == VP_POINT_IDLE) {
        ok = add_arg(cl, &used, "sleep") && add_arg(cl, &used, "infinity");
        return ok ? 0 : vp_input_error(err, "command line too long");
    }
    snprintf(rounds, sizeof rounds, "%lld", (long long)pt->s.rounds);
    snprintf(warmup, sizeof warmup, "%lld", (long long)pt->s.warmup);
    snprintf(fd, sizeof fd, "%d", barrier_fd);
    const char *head[] = {"/proc/self/exe", "workload", "run", a->w->name};
    for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
        ok = ok && add_arg(cl, &used, head[i]);
    if (a->f.preset == 1)
        ok = ok && add_arg(cl, &used, "--preset") && add_arg(cl, &used, "small");
    for (int i = 0; i < a->nopts; i++) {
        char opt[80];
        snprintf(opt, sizeof opt, "--%s", a->opts[i].key);
        ok = ok && add_arg(cl, &used, opt) && add_arg(cl, &used, a->opts[i].value);
    }
    ok = ok && add_arg(cl, &used, "--rounds") && add_arg(cl, &used, rounds) &&
         add_arg(cl, &used, "--warmup") && add_arg(cl, &used, warmup) &&
         add_arg(cl, &used, "--json");
    if (store && store[0])
        ok = ok && add_arg(cl, &used, "--store") && add_arg(cl, &used, store);
    if (barrier_fd > 2)
        ok = ok && add_arg(cl, &used, "--barrier-fd") && add_arg(cl, &used, fd);
    if (pt->s.timeserver[0])
        ok = ok && add_arg(cl, &used, "--timeserver") && add_arg(cl, &used, pt->s.timeserver) &&
             add_arg(cl, &used, "--key-file") && add_arg(cl, &used, pt->s.key_file) &&
             add_arg(cl, &used, "--appliance") && add_arg(cl, &used, in->name);
    return ok ? 0 : vp_input_error(err, "appliance %s: command line too long", in->name);
}

/* A value as a JSON number when it reads as one, else a string. */
static void json_value(struct vp_json *j, const char *key, const char *v)
{
    char *end;
    long long n = strtoll(v, &end, 10);
    if (*v && *end == '\0')
        vp_json_int(j, key, n);
    else
        vp_json_string(j, key, v);
}

char *vp_point_params_json(const struct vp_point *pt, bool (*skip)(const char *key))
{
    struct vp_json_buf b;
    if (vp_json_buf_open(&b) < 0)
        return NULL;
    vp_json_object_begin(&b.j, NULL);
    for (int i = 0; i < pt->nparams; i++)
        if (skip == NULL || !skip(pt->params[i][0]))
            json_value(&b.j, pt->params[i][0], pt->params[i][1]);
    vp_json_object_end(&b.j);
    return vp_json_buf_close(&b);
}
