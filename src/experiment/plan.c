/* The plan: the matrix expanded into points, each with its instances. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "drivers/driver.h"
#include "experiment/experiment.h"
#include "platform/vm_libvirt.h"

#define VP_PLAN_MAX_POINTS    512
#define VP_PLAN_MAX_PLATFORMS 8

/* Keys a matrix cannot sweep: they decide what the options mean. */
static const char *const fixed_keys[] = {"name",   "workload", "preset", "role",
                                         "driver", "target",   NULL};

/* Add key = value to an owner's options after checking all of them, in
 * order, against its table. */
static int apply_opt(const struct vp_opt_table *t, struct vp_kv *opts, int *nopts, const char *key,
                     const char *value, struct vp_err *err)
{
    void *params = calloc(1, t->size);
    if (params == NULL)
        return vp_run_error(err, ENOMEM, "experiment");
    int rc = vp_opt_defaults(t->opts, params, err);
    for (int i = 0; rc == 0 && i < *nopts; i++)
        rc = vp_opt_set(t->opts, params, opts[i].key, opts[i].value, err);
    if (rc == 0)
        rc = vp_opt_set(t->opts, params, key, value, err);
    free(params);
    if (rc < 0)
        return rc;
    struct vp_kv *kv = NULL;
    for (int i = 0; i < *nopts && kv == NULL; i++)
        if (strcmp(opts[i].key, key) == 0)
            kv = &opts[i]; /* the new value replaces the file's */
    if (kv == NULL && *nopts >= VP_EXP_MAX_KV)
        return vp_input_error(err, "%s: too many options", key);
    if (kv == NULL) {
        kv = &opts[(*nopts)++];
        memset(kv, 0, sizeof *kv);
    }
    snprintf(kv->key, sizeof kv->key, "%s", key);
    snprintf(kv->value, sizeof kv->value, "%s", value);
    return 0;
}

/* The option table of what a template runs, when it has key and the file
 * may set it. */
static const struct vp_opt_table *app_table(const struct vp_exp_app *a, const char *key,
                                            struct vp_opt_table *tmp)
{
    if (a->server)
        return vp_opt_find(a->server->options.opts, key) &&
                       !vp_exp_reserved(a->server->reserved, key)
                   ? &a->server->options
                   : NULL;
    *tmp = (struct vp_opt_table){a->w->opts, a->w->params_size};
    return vp_opt_find(tmp->opts, key) ? tmp : NULL;
}

/* Apply to every template (or the one named) that has key; count them. */
static int apply_apps(const struct vp_exp_scope *sc, const char *target, const char *key,
                      const char *value, int *matched, struct vp_err *err)
{
    bool field = vp_opt_find(vp_exp_fields_opts, key) != NULL;
    for (int i = 0; i < sc->napps; i++) {
        struct vp_exp_app *a = &sc->apps[i];
        struct vp_opt_table tmp;
        const struct vp_opt_table *t = field ? NULL : app_table(a, key, &tmp);
        int rc;
        if (target[0] && strcmp(target, a->f.name) != 0)
            continue;
        if (field) {
            rc = vp_opt_set(vp_exp_fields_opts, &a->f, key, value, err);
            if (strcmp(key, "count") == 0)
                a->count_given = true;
            if (rc == 0 && strcmp(key, "user") == 0)
                rc = vp_exp_check_user(&a->f, err);
        } else if (t) {
            rc = apply_opt(t, a->opts, &a->nopts, key, value, err);
        } else {
            continue;
        }
        if (rc < 0)
            return rc;
        (*matched)++;
    }
    return 0;
}

/* A load's own fields (cpus, weight: also appliance fields) are set by
 * NAME.key only; the driver's options by their bare names too. */
static int apply_loads(const struct vp_exp_scope *sc, const char *target, const char *key,
                       const char *value, int *matched, struct vp_err *err)
{
    bool field = vp_opt_find(vp_exp_load_opts, key) != NULL;
    if (field && target[0] == '\0')
        return 0;
    for (int i = 0; i < sc->nloads; i++) {
        struct vp_exp_load *l = &sc->loads[i];
        int rc;
        if (target[0] && strcmp(target, l->f.name) != 0)
            continue;
        if (field) {
            rc = vp_opt_set(vp_exp_load_opts, &l->f, key, value, err);
            if (rc == 0 && l->f.background && !l->driver->stoppable)
                rc = vp_input_error(err,
                                    "background: %s cannot be background: it has no "
                                    "duration to cut short",
                                    l->driver->name);
        } else if (vp_opt_find(l->driver->options.opts, key) &&
                   !vp_exp_reserved(l->driver->reserved, key))
            rc = apply_opt(&l->driver->options, l->opts, &l->nopts, key, value, err);
        else
            continue;
        if (rc < 0)
            return rc;
        (*matched)++;
    }
    return 0;
}

int vp_exp_apply(const struct vp_exp_scope *sc, const char *key, const char *value,
                 struct vp_err *err)
{
    char target[VP_STR_MAX] = "";
    const char *dot = strchr(key, '.');
    int matched = 0, rc;
    if (dot) {
        snprintf(target, sizeof target, "%.*s", (int)(dot - key), key);
        key = dot + 1;
    }
    for (int i = 0; fixed_keys[i]; i++)
        if (strcmp(key, fixed_keys[i]) == 0)
            return vp_input_error(err, "\"%s\" cannot be swept", key);
    if (target[0] == '\0' && vp_opt_find(vp_exp_settings_opts, key))
        return vp_opt_set(vp_exp_settings_opts, sc->s, key, value, err);
    if ((rc = apply_apps(sc, target, key, value, &matched, err)) < 0 ||
        (rc = apply_loads(sc, target, key, value, &matched, err)) < 0)
        return rc;
    if (matched == 0) {
        if (target[0])
            vp_input_error(err, "key \"%s.%s\": no appliance or load \"%s\" with that key", target,
                           key, target);
        else if (vp_opt_find(vp_exp_load_opts, key))
            vp_input_error(err, "key \"%s\": a load's own field: write LOAD.%s", key, key);
        else
            vp_input_error(err,
                           "unknown key \"%s\" (not a setting, appliance field, workload or "
                           "server option, or load option)",
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
    int rc, pinned = 0;
    for (int i = 0; i < cpus->n; i++)
        allowed[cpus->cpu[i]] = true;
    for (int i = 0; i < pt->ninst; i++) {
        struct vp_instance *in = &pt->inst[i];
        bool mine[VP_EXP_MAX_CPUS] = {false};
        bool remote = vp_exp_remote(&in->f); /* that host's cores: it checks them */
        if (in->f.cpus[0] == '\0') {
            all_pinned = all_pinned && remote;
            continue;
        }
        if ((rc = parse_cpulist(in->f.cpus, in->name, mine, err)) < 0)
            return rc;
        if (remote)
            continue;
        pinned++;
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
    if (all_pinned && pinned > 0) { /* this machine's appliances pinned, all of them */
        pt->cpus_available = 0;
        for (int c = 0; c < VP_EXP_MAX_CPUS; c++)
            pt->cpus_available += used[c];
    }
    return 0;
}

/* On platform libvirt with another host's libvirtd (qemu+ssh://HOST/...),
 * an appliance with no host of its own is on HOST. */
static int remote_libvirt(const struct vp_point *pt, struct vp_instance *in, struct vp_err *err)
{
    char local[VP_STR_MAX];
    if (strcmp(pt->s.platform, "libvirt") != 0 || vp_exp_remote(&in->f))
        return 0;
    int rc = vp_libvirt_remote(pt->s.libvirt_uri, in->f.host, sizeof in->f.host, local,
                               sizeof local, err);
    if (rc < 0)
        vp_err_prefix(err, "point %d", pt->index + 1);
    return rc < 0 ? rc : 0;
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
            int rc = remote_libvirt(pt, in, err);
            if (rc < 0)
                return rc;
            if (!vp_exp_remote(&in->f)) /* another host's have its cores */
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

/* The generators of load l in a point, by target: each instance it drives,
 * or, for a load with a test bed of its own, one without a target (-1).
 * out holds VP_EXP_MAX_INSTANCES; returns how many. */
int vp_load_targets(const struct vp_point *pt, const struct vp_exp_load *l, int *out)
{
    int n = 0;
    if (pt->kind != VP_POINT_RUN)
        return 0;
    if (l->driver->serves == NULL) {
        out[0] = -1;
        return 1;
    }
    for (int i = 0; i < pt->ninst; i++)
        if (strcmp(pt->apps[pt->inst[i].app].f.name, l->f.target) == 0)
            out[n++] = i;
    return n;
}

bool vp_point_has_load(const struct vp_point *pt)
{
    int target[VP_EXP_MAX_INSTANCES];
    for (int l = 0; l < pt->nloads; l++)
        if (!pt->loads[l].f.background && vp_load_targets(pt, &pt->loads[l], target) > 0)
            return true;
    return false;
}

/* A point ends when its measured loads do or, without any, when its
 * workloads do: one of them must be there. */
static bool measures_something(const struct vp_point *pt)
{
    for (int i = 0; i < pt->ninst; i++)
        if (pt->apps[pt->inst[i].app].server == NULL)
            return true;
    return vp_point_has_load(pt);
}

/* The apps (role app) of a point with its values: commands of this host's,
 * so only where the host's files are (native processes, containers). */
static int check_apps(struct vp_point *pt, struct vp_err *err)
{
    for (int a = 0; a < pt->napps; a++) {
        struct vp_exp_app *t = &pt->apps[a];
        if (t->f.role != VP_ROLE_APP || t->f.count == 0)
            continue;
        if (strcmp(pt->s.platform, "native") != 0 && strcmp(pt->s.platform, "container") != 0)
            return vp_input_error(err,
                                  "point %d: appliance %s: an app runs a command of this host's: "
                                  "platform native or container, not %s",
                                  pt->index + 1, t->f.name, pt->s.platform);
        int rc = vp_exp_app_resolve(t, err);
        if (rc < 0) {
            vp_err_prefix(err, "point %d: appliance %s", pt->index + 1, t->f.name);
            return rc;
        }
    }
    return 0;
}

/* Point idx: case idx / (matrix points), then the matrix product, first
 * axis slowest. The params are the case's label and the matrix values. */
static int expand_point(const struct vp_experiment *exp, int idx, long per_case,
                        const struct vp_cpuset *cpus, struct vp_point *pt, struct vp_err *err)
{
    int rc;
    pt->index = idx;
    pt->kind = VP_POINT_RUN;
    pt->s = exp->s;
    memcpy(pt->apps, exp->apps, sizeof exp->apps);
    pt->napps = exp->napps;
    memcpy(pt->loads, exp->loads, sizeof exp->loads);
    pt->nloads = exp->nloads;
    struct vp_exp_scope sc = {&pt->s, pt->apps, pt->napps, pt->loads, pt->nloads};
    if (exp->ncases > 0) {
        const struct vp_exp_case *c = &exp->cases[idx / per_case];
        snprintf(pt->params[pt->nparams][0], VP_STR_MAX, "case");
        snprintf(pt->params[pt->nparams++][1], VP_STR_MAX, "%s", c->label);
        for (int k = 0; k < c->nkv; k++)
            if ((rc = vp_exp_apply(&sc, c->kv[k].key, c->kv[k].value, err)) < 0)
                return rc;
    }
    long rest = idx % per_case;
    int first = pt->nparams;
    for (int a = exp->naxes - 1; a >= 0; a--) {
        const struct vp_exp_axis *ax = &exp->matrix[a];
        const char *v = ax->values[rest % ax->nvalues];
        rest /= ax->nvalues;
        snprintf(pt->params[first + a][0], VP_STR_MAX, "%s", ax->key);
        snprintf(pt->params[first + a][1], VP_STR_MAX, "%s", v);
        if ((rc = vp_exp_apply(&sc, ax->key, v, err)) < 0)
            return rc;
    }
    pt->nparams = first + exp->naxes;
    if ((rc = check_apps(pt, err)) < 0)
        return rc;
    if ((rc = make_instances(pt, cpus, err)) == 0 && pt->ninst == 0 && !vp_point_has_load(pt))
        rc = vp_input_error(err, "%s: point %d: no appliance has instances (every count is 0)",
                            exp->path, idx + 1);
    if (rc == 0 && !measures_something(pt))
        rc = vp_input_error(err,
                            "%s: point %d: nothing to measure: no workload runs and every load "
                            "is background",
                            exp->path, idx + 1);
    return rc;
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
    pt->apps[0].f.role = VP_ROLE_WORKLOAD; /* it only sleeps */
    pt->apps[0].server = NULL;
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
    long per_case = 1;
    int rc = 0;
    memset(plan, 0, sizeof *plan);
    for (int a = 0; a < exp->naxes; a++)
        per_case *= exp->matrix[a].nvalues;
    long nrun = per_case * (exp->ncases > 0 ? exp->ncases : 1);
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
        if ((rc = expand_point(exp, i, per_case, cpus, pt, err)) < 0)
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
