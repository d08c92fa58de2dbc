/* Experiment files: the loads and the cases, parsed the way parse.c parses
 * appliances and the matrix, with its helpers (parse_priv.h). */
#include <errno.h>
#include <string.h>
#include <yaml.h>

#include "drivers/driver.h"
#include "experiment/experiment.h"
#include "experiment/parse_priv.h"

const struct vp_opt vp_exp_load_opts[] = {
    {"name", VP_OPT_STRING, offsetof(struct vp_exp_load_fields, name), NULL, 0, 0, NULL,
     "the load's name (default: the driver's)", false},
    {"driver", VP_OPT_STRING, offsetof(struct vp_exp_load_fields, driver), NULL, 0, 0, NULL,
     "the load driver (an unknown name is refused with the list of drivers)", false},
    {"target", VP_OPT_STRING, offsetof(struct vp_exp_load_fields, target), NULL, 0, 0, NULL,
     "the server appliance it drives (each of its instances gets a generator)", false},
    {"cpus", VP_OPT_STRING, offsetof(struct vp_exp_load_fields, cpus), NULL, 0, 0, NULL,
     "pinning cpulist of the generator (\"1\"); empty = float", false},
    {"weight", VP_OPT_INT, offsetof(struct vp_exp_load_fields, weight), "8192", 1, 65535, NULL,
     "the generator's CPU weight: high, so that appliances, not it, run short of CPU", false},
    {"background", VP_OPT_BOOL, offsetof(struct vp_exp_load_fields, background), NULL, 0, 0, NULL,
     "traffic next to the measured loads: stopped (SIGUSR1) when they end", false},
    {"host", VP_OPT_STRING, offsetof(struct vp_exp_load_fields, host), NULL, 0, 0, NULL,
     "the machine its generators run on: local (default) or one of hosts: (a load host), "
     "whose runs go straight into the store (then a PostgreSQL one)",
     false},
    VP_OPT_END,
};

/* A name used by an appliance or a load already (NAME.key picks either). */
static bool name_taken(const struct vp_experiment *e, const char *name)
{
    for (int i = 0; i < e->napps; i++)
        if (strcmp(e->apps[i].f.name, name) == 0)
            return true;
    for (int i = 0; i < e->nloads; i++)
        if (strcmp(e->loads[i].f.name, name) == 0)
            return true;
    return false;
}

/* - {driver: sip-capacity, target: sip, <the command's options>} */
static int parse_load(struct parse *p, yaml_node_t *m, struct vp_exp_load *l)
{
    int rc;
    bool weight_given = false;
    if (m->type != YAML_MAPPING_NODE)
        return vp_parse_at(p, m, "loads: each entry must be a mapping, got %s",
                           vp_parse_kind_name(m));
    memset(l, 0, sizeof *l);
    if ((rc = vp_parse_no_duplicates(p, m)) < 0 ||
        (rc = vp_opt_defaults(vp_exp_load_opts, &l->f, p->err)) < 0)
        return rc;
    for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = vp_parse_node(p, pr->key), *v = vp_parse_node(p, pr->value);
        if ((rc = vp_parse_want_scalar(p, k, "key")) < 0)
            return rc;
        rc = vp_parse_set_opt(p, vp_exp_load_opts, &l->f, vp_parse_scalar(k), v);
        weight_given |= rc == 0 && strcmp(vp_parse_scalar(k), "weight") == 0;
        if (rc == 0 && strcmp(vp_parse_scalar(k), "host") == 0 &&
            (rc = vp_exp_check_host(p->exp, l->f.host, p->err)) < 0)
            return vp_parse_at_opt(p, vp_parse_mark_of(v));
        if (rc == -ENOENT)
            rc = vp_parse_add_opt_or_options(p, l->opts, &l->nopts, k, v);
        if (rc < 0)
            return rc;
    }
    l->driver = vp_driver_find(l->f.driver);
    if (l->driver == NULL) {
        char list[128] = "";
        for (int i = 0; vp_drivers[i]; i++) {
            strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
            strncat(list, vp_drivers[i]->name, sizeof list - strlen(list) - 1);
        }
        return vp_parse_at(p, m, "load: driver \"%s\": unknown (drivers: %s)", l->f.driver, list);
    }
    if (l->f.background && !l->driver->stoppable)
        return vp_parse_at(p, m, "load: %s cannot be background: it has no duration to cut short",
                           l->driver->name);
    if (l->f.name[0] == '\0')
        memcpy(l->f.name, l->f.driver, sizeof l->f.name);
    if (!vp_parse_valid_name(l->f.name))
        return vp_parse_at(p, m, "load name \"%s\": use at most 40 letters, digits, - and _",
                           l->f.name);
    if (name_taken(p->exp, l->f.name))
        return vp_parse_at(p, m, "name \"%s\" used twice (appliances and loads share names)",
                           l->f.name);
    bool remote = vp_exp_host_remote(l->f.host);
    if (remote && l->driver->privileged)
        return vp_parse_at(p, m, "load %s: %s builds its test bed on this machine: no host",
                           l->f.name, l->driver->name);
    if (remote && (l->f.cpus[0] || weight_given))
        return vp_parse_at(p, m,
                           "load %s: on host %s its generators run outside virtperf's cgroups: "
                           "no cpus or weight",
                           l->f.name, l->f.host);
    if (l->driver->serves == NULL) { /* a test bed of its own: one generator per point */
        if (l->f.target[0])
            return vp_parse_at(p, m,
                               "load %s: %s drives no appliance (it builds its own test "
                               "bed): no target",
                               l->f.name, l->driver->name);
        return vp_parse_check_opts(p, &l->driver->options, l->driver->reserved, l->driver->command,
                                   "a load field", l->opts, l->nopts);
    }
    const struct vp_exp_app *t = NULL;
    for (int i = 0; i < p->exp->napps; i++)
        if (strcmp(p->exp->apps[i].f.name, l->f.target) == 0)
            t = &p->exp->apps[i];
    if (t == NULL)
        return vp_parse_at(p, m, "load %s: target \"%s\" is not an appliance of this file",
                           l->f.name, l->f.target);
    if (t->serves != l->driver->serves)
        return vp_parse_at(p, m, "load %s: %s drives a %s, and appliance %s %s a %s", l->f.name,
                           l->driver->name, l->driver->serves->name, t->f.name,
                           t->f.role == VP_ROLE_APP ? "serves as" : "is",
                           t->serves ? t->serves->name : vp_exp_role_names[t->f.role]);
    /* a server here is addressed as this machine sees it (loopback, a
     * bridge of its own): another host cannot reach it */
    if (remote && !vp_exp_remote(&t->f))
        return vp_parse_at(p, m,
                           "load %s: on host %s it cannot reach %s, which runs on this machine: "
                           "put the target on a host of hosts: too",
                           l->f.name, l->f.host, t->f.name);
    return vp_parse_check_opts(p, &l->driver->options, l->driver->reserved, l->driver->command,
                               "a load field", l->opts, l->nopts);
}

int vp_parse_loads(struct parse *p, yaml_node_t *v)
{
    if (v->type != YAML_SEQUENCE_NODE)
        return vp_parse_at(p, v, "loads: expected a list, got %s", vp_parse_kind_name(v));
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        yaml_node_t *e = vp_parse_node(p, *it);
        if (p->exp->nloads >= VP_EXP_MAX_LOADS)
            return vp_parse_at(p, e, "loads: more than %d", VP_EXP_MAX_LOADS);
        int rc = parse_load(p, e, &p->exp->loads[p->exp->nloads]);
        if (rc < 0)
            return rc;
        p->exp->nloads++;
    }
    return 0;
}

/* - {label: "two SIP appliances", sip.count: 2, neighbour.count: 0} */
static int parse_case(struct parse *p, yaml_node_t *m, struct vp_exp_case *c)
{
    int rc;
    if (m->type != YAML_MAPPING_NODE)
        return vp_parse_at(p, m, "cases: each entry must be a mapping of key: value, got %s",
                           vp_parse_kind_name(m));
    if ((rc = vp_parse_no_duplicates(p, m)) < 0)
        return rc;
    c->mark = vp_parse_mark_of(m);
    for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = vp_parse_node(p, pr->key), *v = vp_parse_node(p, pr->value);
        if ((rc = vp_parse_want_scalar(p, k, "key")) < 0 ||
            (rc = vp_parse_want_scalar(p, v, vp_parse_scalar(k))) < 0)
            return rc;
        if (strcmp(vp_parse_scalar(k), "label") == 0) {
            snprintf(c->label, sizeof c->label, "%s", vp_parse_scalar(v));
            continue;
        }
        if ((rc = vp_parse_add_opt(p, c->kv, &c->nkv, k, v)) < 0 ||
            (rc = vp_parse_try_value(p, vp_parse_scalar(k), vp_parse_mark_of(k), vp_parse_scalar(v),
                                     vp_parse_mark_of(v))) < 0)
            return rc;
    }
    if (c->label[0] == '\0')
        snprintf(c->label, sizeof c->label, "%d", (int)(c - p->exp->cases) + 1);
    return 0;
}

int vp_parse_cases(struct parse *p, yaml_node_t *v)
{
    if (v->type != YAML_SEQUENCE_NODE)
        return vp_parse_at(p, v, "cases: expected a list, got %s", vp_parse_kind_name(v));
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        yaml_node_t *e = vp_parse_node(p, *it);
        if (p->exp->ncases >= VP_EXP_MAX_CASES)
            return vp_parse_at(p, e, "cases: more than %d", VP_EXP_MAX_CASES);
        int rc = parse_case(p, e, &p->exp->cases[p->exp->ncases]);
        if (rc < 0)
            return rc;
        p->exp->ncases++;
    }
    if (p->exp->ncases == 0)
        return vp_parse_at(p, v, "cases: empty list");
    return 0;
}
