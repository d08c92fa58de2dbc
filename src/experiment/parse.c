/* Experiment files: the YAML document (libyaml) walked into struct
 * vp_experiment. Every scalar goes through an option table, so a value's
 * error is the option parser's, prefixed with the value's file position. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "experiment/experiment.h"
#include "experiment/parse_priv.h"
#include "platform/guest_image.h"
#include "platform/platform.h"
#include "profiler/profiler.h"

static const char *const scheme_names[] = {"float", "exclusive", "shared-one", NULL};
static const char *const preset_names[] = {"default", "small", NULL};
static const char *const net_names[] = {"none", "bridge", "routed", "direct", NULL};

const struct vp_opt vp_exp_settings_opts[] = {
    {"name", VP_OPT_STRING, offsetof(struct vp_exp_settings, name), NULL, 0, 0, NULL,
     "the experiment's name (default: the file's)", false},
    {"platform", VP_OPT_STRING, offsetof(struct vp_exp_settings, platform), "native", 0, 0, NULL,
     "where appliances run: native, container, vm", false},
    {"rounds", VP_OPT_INT, offsetof(struct vp_exp_settings, rounds), "5", 1, 100000, NULL,
     "measured rounds per appliance", false},
    {"warmup", VP_OPT_INT, offsetof(struct vp_exp_settings, warmup), "1", 0, 1000, NULL,
     "warm-up rounds per appliance", false},
    {"scheme", VP_OPT_ENUM, offsetof(struct vp_exp_settings, scheme), "float", 0, 0, scheme_names,
     "core allocation: none, a core per vCPU, or all on one core", false},
    {"overcommit", VP_OPT_BOOL, offsetof(struct vp_exp_settings, overcommit), NULL, 0, 0, NULL,
     "allow more vCPUs than cores", false},
    {"timeserver", VP_OPT_STRING, offsetof(struct vp_exp_settings, timeserver), NULL, 0, 0, NULL,
     "external time server host:port (default: internal timing)", false},
    {"key-file", VP_OPT_PATH, offsetof(struct vp_exp_settings, key_file), NULL, 0, 0, NULL,
     "the time server's key file (with timeserver)", false},
    {"accel", VP_OPT_ENUM, offsetof(struct vp_exp_settings, accel), "auto", 0, 0, vp_accel_names,
     "vm: KVM when it works here (auto), or kvm or tcg; every point uses the same", false},
    {"libvirt-uri", VP_OPT_STRING, offsetof(struct vp_exp_settings, libvirt_uri), NULL, 0, 0, NULL,
     "libvirt: this host's libvirtd (default qemu:///system), or another's "
     "(qemu+ssh://HOST/system: its agent keeps the VMs)",
     false},
    {"profile-interval", VP_OPT_DURATION, offsetof(struct vp_exp_settings, profile_interval), "1s",
     0, 3600e9, NULL, "host profiler sampling interval per point, 0 = off (at least 10ms)", false},
    VP_OPT_END,
};

const struct vp_opt vp_exp_fields_opts[] = {
    {"name", VP_OPT_STRING, offsetof(struct vp_exp_fields, name), NULL, 0, 0, NULL,
     "name, or name prefix when count is given", false},
    {"role", VP_OPT_ENUM, offsetof(struct vp_exp_fields, role), "workload", 0, 0, vp_exp_role_names,
     "what it runs: a workload, or a server that loads drive", false},
    {"workload", VP_OPT_STRING, offsetof(struct vp_exp_fields, workload), NULL, 0, 0, NULL,
     "the workload each instance runs (role workload)", false},
    {"count", VP_OPT_INT, offsetof(struct vp_exp_fields, count), "1", 0, VP_EXP_MAX_INSTANCES, NULL,
     "instances of this appliance (0: none in this point)", false},
    {"preset", VP_OPT_ENUM, offsetof(struct vp_exp_fields, preset), "default", 0, 0, preset_names,
     "workload parameter set before its options", false},
    {"vcpus", VP_OPT_INT, offsetof(struct vp_exp_fields, vcpus), "1", 0, VP_EXP_MAX_CPUS, NULL,
     "CPUs it may use at once (0 = all)", false},
    {"cpus", VP_OPT_STRING, offsetof(struct vp_exp_fields, cpus), NULL, 0, 0, NULL,
     "pinning cpulist (\"0,2-3\"); overrides the scheme", false},
    {"weight", VP_OPT_INT, offsetof(struct vp_exp_fields, weight), "256", 1, 65535, NULL,
     "CPU share under contention", false},
    {"cap", VP_OPT_INT, offsetof(struct vp_exp_fields, cap), "0", 0, 100 * VP_EXP_MAX_CPUS, NULL,
     "percent of one CPU at most, 0 = none", false},
    {"memory", VP_OPT_SIZE, offsetof(struct vp_exp_fields, memory), NULL, 0, 0, NULL,
     "memory limit, 0 = none", false},
    {"net", VP_OPT_ENUM, offsetof(struct vp_exp_fields, net), "none", 0, 0, net_names,
     "network mode", false},
    {"disk", VP_OPT_SIZE, offsetof(struct vp_exp_fields, disk), NULL, 0, 0, NULL,
     "vm: the scratch disk disk workloads write to (default 4G, sparse)", false},
    {"user", VP_OPT_STRING, offsetof(struct vp_exp_fields, user), NULL, 0, 0, NULL,
     "servers (native, container): the user, a name or a uid, they run as (default: "
     "virtperf's)",
     false},
    {"host", VP_OPT_STRING, offsetof(struct vp_exp_fields, host), NULL, 0, 0, NULL,
     "platform native: another machine, an SSH destination ([user@]host), whose own processes "
     "the appliance is, run by its agent over SSH (default: this one)",
     false},
    VP_OPT_END,
};

struct vp_mark vp_parse_mark_of(const yaml_node_t *n)
{
    return (struct vp_mark){(int)n->start_mark.line + 1, (int)n->start_mark.column + 1};
}

int vp_parse_at(struct parse *p, const yaml_node_t *n, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct vp_mark m = vp_parse_mark_of(n);
    return vp_input_error(p->err, "%s:%d:%d: %s", p->path, m.line, m.col, msg);
}

/* Prefix an option parser's message ("--rounds 0: out of range") with the
 * position, dropping the command-line dashes. */
int vp_parse_at_opt(struct parse *p, struct vp_mark m)
{
    char msg[sizeof p->err->msg];
    const char *s = p->err->msg;
    if (strncmp(s, "unknown option --", 17) == 0)
        s += 15;
    else if (strncmp(s, "--", 2) == 0)
        s += 2;
    snprintf(msg, sizeof msg, "%s", s);
    return vp_input_error(p->err, "%s:%d:%d: %s", p->path, m.line, m.col, msg);
}

const char *vp_parse_scalar(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

const char *vp_parse_kind_name(const yaml_node_t *n)
{
    return n->type == YAML_MAPPING_NODE    ? "a mapping"
           : n->type == YAML_SEQUENCE_NODE ? "a list"
                                           : "a value";
}

/* A scalar value node, or an error naming the key. */
int vp_parse_want_scalar(struct parse *p, const yaml_node_t *n, const char *key)
{
    if (n->type != YAML_SCALAR_NODE)
        return vp_parse_at(p, n, "%s: expected a value, got %s", key, vp_parse_kind_name(n));
    return 0;
}

yaml_node_t *vp_parse_node(struct parse *p, int id)
{
    return yaml_document_get_node(&p->doc, id);
}

/* A key given twice in one mapping is refused at its second place. */
int vp_parse_no_duplicates(struct parse *p, yaml_node_t *m)
{
    for (yaml_node_pair_t *a = m->data.mapping.pairs.start; a < m->data.mapping.pairs.top; a++) {
        yaml_node_t *ka = vp_parse_node(p, a->key);
        if (ka->type != YAML_SCALAR_NODE)
            continue;
        for (yaml_node_pair_t *b = m->data.mapping.pairs.start; b < a; b++) {
            yaml_node_t *kb = vp_parse_node(p, b->key);
            if (kb->type == YAML_SCALAR_NODE &&
                strcmp(vp_parse_scalar(ka), vp_parse_scalar(kb)) == 0)
                return vp_parse_at(p, ka, "key \"%s\" given twice", vp_parse_scalar(ka));
        }
    }
    return 0;
}

/* Set key from a scalar node through an option table; -ENOENT when the
 * table has no such key (nothing reported then). */
int vp_parse_set_opt(struct parse *p, const struct vp_opt *opts, void *base, const char *key,
                     yaml_node_t *v)
{
    if (vp_opt_find(opts, key) == NULL)
        return -ENOENT;
    int rc = vp_parse_want_scalar(p, v, key);
    if (rc == 0 && (rc = vp_opt_set(opts, base, key, vp_parse_scalar(v), p->err)) < 0)
        return vp_parse_at_opt(p, vp_parse_mark_of(v));
    return rc;
}

/* A list of scalars (a lone scalar counts as a list of one). */
int vp_parse_scalar_list(struct parse *p, const char *key, yaml_node_t *v, char (*out)[VP_STR_MAX],
                         struct vp_mark *marks, int *n)
{
    *n = 0;
    if (v->type == YAML_SCALAR_NODE) {
        snprintf(out[0], VP_STR_MAX, "%s", vp_parse_scalar(v));
        marks[0] = vp_parse_mark_of(v);
        *n = 1;
        return 0;
    }
    if (v->type != YAML_SEQUENCE_NODE)
        return vp_parse_at(p, v, "%s: expected a list of values, got %s", key,
                           vp_parse_kind_name(v));
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        yaml_node_t *e = vp_parse_node(p, *it);
        if (e->type != YAML_SCALAR_NODE)
            return vp_parse_at(p, e, "%s: expected a value, got %s", key, vp_parse_kind_name(e));
        if (*n >= VP_EXP_MAX_VALUES)
            return vp_parse_at(p, e, "%s: more than %d values", key, VP_EXP_MAX_VALUES);
        snprintf(out[*n], VP_STR_MAX, "%s", vp_parse_scalar(e));
        marks[*n] = vp_parse_mark_of(e);
        (*n)++;
    }
    if (*n == 0)
        return vp_parse_at(p, v, "%s: empty list", key);
    return 0;
}

/* Check options given in the file against their owner's table: a
 * workload's or a command's (reserved keys are the runner's to set). */
int vp_parse_check_opts(struct parse *p, const struct vp_opt_table *table,
                        const char *const *reserved, const char *owner, const char *fields,
                        const struct vp_kv *kv, int n)
{
    const struct vp_opt *opts = table->opts;
    void *params = calloc(1, table->size);
    if (params == NULL)
        return vp_run_error(p->err, ENOMEM, "experiment");
    int rc = vp_opt_defaults(opts, params, p->err);
    for (int i = 0; rc == 0 && i < n; i++) {
        struct vp_mark m = kv[i].mark;
        if (vp_exp_reserved(reserved, kv[i].key))
            rc = vp_input_error(p->err, "%s:%d:%d: \"%s\" is set by the runner, not the file",
                                p->path, m.line, m.col, kv[i].key);
        else if (vp_opt_find(opts, kv[i].key) == NULL)
            rc = vp_input_error(p->err,
                                "%s:%d:%d: unknown key \"%s\" (neither %s nor an option of %s)",
                                p->path, m.line, m.col, kv[i].key, fields, owner);
        else if ((rc = vp_opt_set(opts, params, kv[i].key, kv[i].value, p->err)) < 0)
            rc = vp_parse_at_opt(p, kv[i].value_mark);
    }
    free(params);
    return rc;
}

/* Resolve what a template runs and check its options. */
static int check_app_opts(struct parse *p, struct vp_exp_app *a, yaml_node_t *where)
{
    if (a->f.role != VP_ROLE_WORKLOAD) {
        if (a->f.workload[0])
            return vp_parse_at(p, where, "appliance \"%s\": a %s runs no workload", a->f.name,
                               vp_exp_role_names[a->f.role]);
        a->server = vp_exp_roles[a->f.role];
        int rc = vp_parse_check_opts(p, &a->server->options, a->server->reserved,
                                     a->server->command ? a->server->command : "an app",
                                     "an appliance field", a->opts, a->nopts);
        if (rc == 0 && vp_exp_app_resolve(a, p->err) < 0) {
            char msg[sizeof p->err->msg];
            snprintf(msg, sizeof msg, "%s", p->err->msg);
            return vp_parse_at(p, where, "appliance \"%s\": %s", a->f.name, msg);
        }
        return rc;
    }
    if (a->f.workload[0] == '\0')
        return vp_parse_at(p, where, "appliance \"%s\": no workload", a->f.name);
    a->w = vp_workload_find(a->f.workload);
    if (a->w == NULL)
        return vp_parse_at(p, where, "unknown workload \"%s\" (see `virtperf workload list`)",
                           a->f.workload);
    struct vp_opt_table table = {a->w->opts, a->w->params_size};
    return vp_parse_check_opts(p, &table, NULL, a->w->name, "an appliance field", a->opts,
                               a->nopts);
}

/* Keep an option for check_opts. */
int vp_parse_add_opt(struct parse *p, struct vp_kv *opts, int *nopts, yaml_node_t *k,
                     yaml_node_t *v)
{
    int rc = vp_parse_want_scalar(p, k, "key");
    if (rc == 0)
        rc = vp_parse_want_scalar(p, v, vp_parse_scalar(k));
    if (rc < 0)
        return rc;
    if (*nopts >= VP_EXP_MAX_KV || strlen(vp_parse_scalar(k)) >= sizeof opts[0].key)
        return vp_parse_at(p, k, "too many options or option name too long");
    struct vp_kv *kv = &opts[(*nopts)++];
    snprintf(kv->key, sizeof kv->key, "%s", vp_parse_scalar(k));
    snprintf(kv->value, sizeof kv->value, "%s", vp_parse_scalar(v));
    kv->mark = vp_parse_mark_of(k);
    kv->value_mark = vp_parse_mark_of(v);
    return 0;
}

/* An option, or "options:" with several (for names a field takes). */
int vp_parse_add_opt_or_options(struct parse *p, struct vp_kv *opts, int *nopts, yaml_node_t *k,
                                yaml_node_t *v)
{
    int rc = 0;
    if (strcmp(vp_parse_scalar(k), "options") != 0 || v->type != YAML_MAPPING_NODE)
        return vp_parse_add_opt(p, opts, nopts, k, v);
    for (yaml_node_pair_t *o = v->data.mapping.pairs.start;
         rc == 0 && o < v->data.mapping.pairs.top; o++)
        rc = vp_parse_add_opt(p, opts, nopts, vp_parse_node(p, o->key), vp_parse_node(p, o->value));
    return rc;
}

bool vp_parse_valid_name(const char *name)
{
    return name[0] && strlen(name) <= 40 &&
           strspn(name, "abcdefghijklmnopqrstuvwxyz"
                        "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == strlen(name);
}

static int parse_appliance(struct parse *p, yaml_node_t *m, struct vp_exp_app *a)
{
    int rc;
    struct vp_mark user = {0, 0};
    if (m->type != YAML_MAPPING_NODE)
        return vp_parse_at(p, m, "appliances: each entry must be a mapping, got %s",
                           vp_parse_kind_name(m));
    memset(a, 0, sizeof *a);
    if ((rc = vp_parse_no_duplicates(p, m)) < 0 ||
        (rc = vp_opt_defaults(vp_exp_fields_opts, &a->f, p->err)) < 0)
        return rc;
    for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = vp_parse_node(p, pr->key), *v = vp_parse_node(p, pr->value);
        if ((rc = vp_parse_want_scalar(p, k, "key")) < 0)
            return rc;
        const char *key = vp_parse_scalar(k);
        rc = vp_parse_set_opt(p, vp_exp_fields_opts, &a->f, key, v);
        if (rc == 0 && strcmp(key, "count") == 0)
            a->count_given = true;
        if (rc == 0 && strcmp(key, "user") == 0)
            user = vp_parse_mark_of(v);
        if (rc == 0 && strcmp(key, "host") == 0 &&
            (rc = vp_exp_check_host(p->exp, a->f.host, p->err)) < 0)
            return vp_parse_at_opt(p, vp_parse_mark_of(v));
        if (rc != -ENOENT) {
            if (rc < 0)
                return rc;
            continue;
        }
        /* not a field: an option, checked once the workload is known;
         * "options:" holds those whose names a field takes (disk-zfg's count) */
        if ((rc = vp_parse_add_opt_or_options(p, a->opts, &a->nopts, k, v)) < 0)
            return rc;
    }
    if (a->f.name[0] == '\0')
        snprintf(a->f.name, sizeof a->f.name, "%s",
                 a->f.role == VP_ROLE_WORKLOAD ? a->f.workload : vp_exp_role_names[a->f.role]);
    if (!vp_parse_valid_name(a->f.name))
        return vp_parse_at(p, m, "appliance name \"%s\": use at most 40 letters, digits, - and _",
                           a->f.name);
    if ((rc = vp_exp_check_user(&a->f, p->err)) < 0)
        return vp_parse_at_opt(p, user);
    return check_app_opts(p, a, m);
}

static int parse_appliances(struct parse *p, yaml_node_t *v)
{
    if (v->type != YAML_SEQUENCE_NODE)
        return vp_parse_at(p, v, "appliances: expected a list, got %s", vp_parse_kind_name(v));
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        yaml_node_t *e = vp_parse_node(p, *it);
        if (p->exp->napps >= VP_EXP_MAX_APPS)
            return vp_parse_at(p, e, "appliances: more than %d", VP_EXP_MAX_APPS);
        struct vp_exp_app *a = &p->exp->apps[p->exp->napps];
        int rc = parse_appliance(p, e, a);
        if (rc < 0)
            return rc;
        for (int i = 0; i < p->exp->napps; i++)
            if (strcmp(p->exp->apps[i].f.name, a->f.name) == 0)
                return vp_parse_at(p, e, "appliance name \"%s\" used twice", a->f.name);
        p->exp->napps++;
    }
    if (p->exp->napps == 0)
        return vp_parse_at(p, v, "appliances: empty list");
    return 0;
}

/* The profiler samples at most every 10 ms; 0 turns it off. */
static int check_interval(struct parse *p, const struct vp_exp_settings *s)
{
    if (s->profile_interval == 0 || s->profile_interval >= VP_PROFILER_MIN_INTERVAL_NS)
        return 0;
    return vp_input_error(p->err, "profile-interval %.3gms: below the profiler's 10ms (0 = off)",
                          (double)s->profile_interval / 1e6);
}

static struct vp_exp_scope scope_of(struct vp_experiment *e, struct vp_exp_settings *s,
                                    struct vp_exp_app *apps, struct vp_exp_load *loads)
{
    return (struct vp_exp_scope){s, apps, e->napps, loads, e->nloads};
}

/* Apply key = value to a copy of the experiment; errors at the value's
 * position, or the key's when nothing has that key. */
int vp_parse_try_value(struct parse *p, const char *key, struct vp_mark key_mark, const char *value,
                       struct vp_mark value_mark)
{
    struct vp_experiment *e = p->exp;
    struct vp_exp_app *apps = malloc(sizeof e->apps);
    struct vp_exp_load *loads = malloc(sizeof e->loads);
    struct vp_exp_settings s = e->s;
    int rc = apps && loads ? 0 : vp_run_error(p->err, ENOMEM, "experiment");
    if (rc == 0) {
        memcpy(apps, e->apps, sizeof e->apps);
        memcpy(loads, e->loads, sizeof e->loads);
        struct vp_exp_scope sc = scope_of(e, &s, apps, loads);
        rc = vp_exp_apply(&sc, key, value, p->err);
        if (rc == -ENOENT)
            rc = vp_parse_at_opt(p, key_mark);
        else if (rc < 0 || (rc = check_interval(p, &s)) < 0)
            rc = vp_parse_at_opt(p, value_mark);
        else if (strcmp(key, "platform") == 0 && p->checks && p->checks->platform &&
                 (rc = p->checks->platform(s.platform, p->err)) < 0)
            rc = vp_parse_at_opt(p, value_mark);
    }
    free(apps);
    free(loads);
    return rc;
}

/* Each value of each axis applied once to a copy, so a bad one is refused
 * at its own position. */
int vp_parse_check_axis(struct parse *p, const struct vp_exp_axis *ax)
{
    int rc = 0;
    for (int i = 0; rc == 0 && i < ax->nvalues; i++)
        rc = vp_parse_try_value(p, ax->key, ax->mark, ax->values[i], ax->value_marks[i]);
    return rc;
}

static int parse_matrix(struct parse *p, yaml_node_t *v)
{
    if (v->type != YAML_MAPPING_NODE)
        return vp_parse_at(p, v, "matrix: expected a mapping of key: [values], got %s",
                           vp_parse_kind_name(v));
    for (yaml_node_pair_t *pr = v->data.mapping.pairs.start; pr < v->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = vp_parse_node(p, pr->key), *val = vp_parse_node(p, pr->value);
        int rc = vp_parse_want_scalar(p, k, "matrix key");
        if (rc < 0)
            return rc;
        if (p->exp->naxes >= VP_EXP_MAX_MATRIX)
            return vp_parse_at(p, k, "matrix: more than %d keys", VP_EXP_MAX_MATRIX);
        struct vp_exp_axis *ax = &p->exp->matrix[p->exp->naxes];
        if (strlen(vp_parse_scalar(k)) >= sizeof ax->key)
            return vp_parse_at(p, k, "matrix key too long");
        for (int i = 0; i < p->exp->naxes; i++)
            if (strcmp(p->exp->matrix[i].key, vp_parse_scalar(k)) == 0)
                return vp_parse_at(p, k, "matrix key \"%s\" given twice", vp_parse_scalar(k));
        snprintf(ax->key, sizeof ax->key, "%s", vp_parse_scalar(k));
        ax->mark = vp_parse_mark_of(k);
        if ((rc = vp_parse_scalar_list(p, ax->key, val, ax->values, ax->value_marks,
                                       &ax->nvalues)) < 0)
            return rc;
        p->exp->naxes++;
    }
    return 0;
}

struct overhead_opts {
    uint64_t seconds;
};
static const struct vp_opt overhead_opts[] = {
    {"seconds", VP_OPT_DURATION, offsetof(struct overhead_opts, seconds), "3s", 1e8, 600e9, NULL,
     "how long host CPU use is sampled per count", false},
    VP_OPT_END,
};
static const struct vp_opt count_opt[] = {
    {"counts", VP_OPT_INT, 0, NULL, 0, VP_EXP_MAX_INSTANCES, NULL, "idle appliances", false},
    VP_OPT_END,
};

/* overhead: {counts: [1, 2, 4], seconds: 3} */
int vp_parse_overhead(struct parse *p, yaml_node_t *v)
{
    struct overhead_opts o;
    int rc = vp_opt_defaults(overhead_opts, &o, p->err);
    if (v->type != YAML_MAPPING_NODE)
        return vp_parse_at(p, v, "overhead: expected a mapping with counts and seconds, got %s",
                           vp_parse_kind_name(v));
    if (rc == 0)
        rc = vp_parse_no_duplicates(p, v);
    for (yaml_node_pair_t *pr = v->data.mapping.pairs.start;
         rc == 0 && pr < v->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = vp_parse_node(p, pr->key), *val = vp_parse_node(p, pr->value);
        if ((rc = vp_parse_want_scalar(p, k, "key")) < 0)
            break;
        if (strcmp(vp_parse_scalar(k), "counts") == 0) {
            char vals[VP_EXP_MAX_VALUES][VP_STR_MAX];
            struct vp_mark marks[VP_EXP_MAX_VALUES];
            int n;
            if ((rc = vp_parse_scalar_list(p, "counts", val, vals, marks, &n)) < 0)
                break;
            for (int i = 0; rc == 0 && i < n; i++)
                if ((rc = vp_opt_set(count_opt, &p->exp->overhead_counts[i], "counts", vals[i],
                                     p->err)) < 0)
                    rc = vp_parse_at_opt(p, marks[i]);
            p->exp->noverhead = n;
        } else if ((rc = vp_parse_set_opt(p, overhead_opts, &o, vp_parse_scalar(k), val)) ==
                   -ENOENT) {
            rc = vp_parse_at(p, k, "unknown key \"%s\" in overhead (counts, seconds)",
                             vp_parse_scalar(k));
        }
    }
    p->exp->overhead_seconds = o.seconds;
    return rc;
}

/* The top-level mapping. */
static int parse_root(struct parse *p, yaml_node_t *root)
{
    int rc = 0;
    yaml_node_t *matrix = NULL, *apps = NULL, *loads = NULL, *cases = NULL, *presets = NULL,
                *hosts = NULL;
    if (root == NULL || root->type != YAML_MAPPING_NODE)
        return root ? vp_parse_at(p, root, "expected a mapping of experiment keys, got %s",
                                  vp_parse_kind_name(root))
                    : vp_input_error(p->err, "%s:1:1: empty experiment file", p->path);
    if ((rc = vp_parse_no_duplicates(p, root)) < 0)
        return rc;
    for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
         rc == 0 && pr < root->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = vp_parse_node(p, pr->key), *v = vp_parse_node(p, pr->value);
        if ((rc = vp_parse_want_scalar(p, k, "key")) < 0)
            break;
        const char *key = vp_parse_scalar(k);
        if (strcmp(key, "appliances") == 0)
            apps = v;
        else if (strcmp(key, "matrix") == 0)
            matrix = v;
        else if (strcmp(key, "loads") == 0)
            loads = v;
        else if (strcmp(key, "cases") == 0)
            cases = v;
        else if (strcmp(key, "presets") == 0)
            presets = v;
        else if (strcmp(key, "hosts") == 0)
            hosts = v;
        else if (strcmp(key, "overhead") == 0)
            rc = vp_parse_overhead(p, v);
        else if ((rc = vp_parse_set_opt(p, vp_exp_settings_opts, &p->exp->s, key, v)) == -ENOENT)
            rc = vp_parse_at(p, k, "unknown key \"%s\"", key);
        else if (rc == 0 && (rc = check_interval(p, &p->exp->s)) < 0)
            rc = vp_parse_at_opt(p, vp_parse_mark_of(v));
        if (rc == 0 && strcmp(key, "platform") == 0 && p->checks && p->checks->platform &&
            (rc = p->checks->platform(p->exp->s.platform, p->err)) < 0)
            rc = vp_parse_at_opt(p, vp_parse_mark_of(v));
    }
    if (rc == 0 && p->exp->s.timeserver[0] && !p->exp->s.key_file[0])
        rc = vp_parse_at(p, root, "timeserver needs key-file (the time server's key)");
    if (rc == 0 && apps == NULL && loads == NULL)
        rc = vp_parse_at(p, root, "no appliances: list them under \"appliances:\"");
    if (rc == 0 && hosts) /* before the appliances, which name them */
        rc = vp_parse_hosts(p, hosts);
    if (rc == 0 && hosts && p->exp->s.timeserver[0])
        rc = vp_parse_time_host(p, root);
    if (rc == 0 && apps)
        rc = parse_appliances(p, apps);
    if (rc == 0 && loads)
        rc = vp_parse_loads(p, loads);
    if (rc == 0 && cases)
        rc = vp_parse_cases(p, cases);
    if (rc == 0 && matrix)
        rc = parse_matrix(p, matrix);
    for (int i = 0; rc == 0 && i < p->exp->naxes; i++)
        rc = vp_parse_check_axis(p, &p->exp->matrix[i]);
    if (rc == 0 && (presets || (p->checks && p->checks->preset)))
        rc = vp_parse_presets(p, presets, root);
    return rc;
}

/* The file's name without directories and extension, for a default name. */
static void default_name(const char *path, char *out, size_t len)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(out, len, "%s", base);
    char *dot = strrchr(out, '.');
    if (dot && dot != out)
        *dot = '\0';
}

/* Parse from a file, or from text when f is NULL. */
static int load(const char *path, const char *text, const struct vp_exp_checks *checks,
                struct vp_experiment *exp, struct vp_err *err)
{
    struct parse p = {.path = path, .checks = checks, .exp = exp, .err = err};
    yaml_parser_t parser;
    FILE *f = NULL;
    int rc;
    memset(exp, 0, sizeof *exp);
    snprintf(exp->path, sizeof exp->path, "%s", path);
    if ((rc = vp_opt_defaults(vp_exp_settings_opts, &exp->s, err)) < 0)
        return rc;
    if (text == NULL && (f = fopen(path, "rb")) == NULL)
        return vp_input_error(err, "%s: cannot open: %s", path, strerror(errno));
    if (!yaml_parser_initialize(&parser)) {
        if (f)
            fclose(f);
        return vp_run_error(err, ENOMEM, "yaml parser");
    }
    if (f)
        yaml_parser_set_input_file(&parser, f);
    else
        yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
    if (!yaml_parser_load(&parser, &p.doc)) {
        rc = vp_input_error(err, "%s:%d:%d: %s%s%s", path, (int)parser.problem_mark.line + 1,
                            (int)parser.problem_mark.column + 1,
                            parser.problem ? parser.problem : "invalid YAML",
                            parser.context ? " " : "", parser.context ? parser.context : "");
        goto out_parser;
    }
    rc = parse_root(&p, yaml_document_get_root_node(&p.doc));
    if (rc == 0 && exp->s.name[0] == '\0')
        default_name(path, exp->s.name, sizeof exp->s.name);
    if (rc == 0 && checks && checks->preset) { /* the store says which form ran */
        size_t n = strlen(exp->s.name);
        snprintf(exp->s.name + n, sizeof exp->s.name - n, " (preset %s)", checks->preset);
    }
    yaml_document_delete(&p.doc);
out_parser:
    yaml_parser_delete(&parser);
    if (f)
        fclose(f);
    return rc;
}

int vp_experiment_load(const char *path, const struct vp_exp_checks *checks,
                       struct vp_experiment *exp, struct vp_err *err)
{
    return load(path, NULL, checks, exp, err);
}

int vp_experiment_parse(const char *name, const char *text, const struct vp_exp_checks *checks,
                        struct vp_experiment *exp, struct vp_err *err)
{
    return load(name, text, checks, exp, err);
}
