/* presets: smaller (or other) forms of the study a file describes, each a
 * mapping applied over the file after it is read:
 *
 *   presets:
 *     small:
 *       rounds: 1                 # a setting, a field, NAME.key, a load option
 *       calls.repeats: 1
 *       matrix: {count: [1, 2]}   # an axis's values replaced
 *       cases: ["1: alone"]       # the cases kept, by label, in this order
 *       overhead: {counts: [1, 2], seconds: 1s}
 *
 * Every preset is checked whenever the file is read (on a copy), so a bad
 * one is found by any run or dry run; `--preset NAME` applies one. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "experiment/parse_priv.h"

/* matrix: {axis: [values]}: the file's axes given new values. */
static int preset_matrix(struct parse *p, const char *name, yaml_node_t *v)
{
    if (v->type != YAML_MAPPING_NODE)
        return vp_parse_at(p, v, "preset %s: matrix: expected a mapping of axis: [values], got %s",
                           name, vp_parse_kind_name(v));
    int rc = vp_parse_no_duplicates(p, v);
    for (yaml_node_pair_t *pr = v->data.mapping.pairs.start;
         rc == 0 && pr < v->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = vp_parse_node(p, pr->key), *val = vp_parse_node(p, pr->value);
        if ((rc = vp_parse_want_scalar(p, k, "matrix key")) < 0)
            break;
        struct vp_exp_axis *ax = NULL;
        for (int i = 0; i < p->exp->naxes; i++)
            if (strcmp(p->exp->matrix[i].key, vp_parse_scalar(k)) == 0)
                ax = &p->exp->matrix[i];
        if (ax == NULL)
            return vp_parse_at(p, k, "preset %s: matrix key \"%s\" is no axis of the file's matrix",
                               name, vp_parse_scalar(k));
        if ((rc = vp_parse_scalar_list(p, ax->key, val, ax->values, ax->value_marks,
                                       &ax->nvalues)) == 0)
            rc = vp_parse_check_axis(p, ax);
    }
    return rc;
}

/* cases: [label, ...]: the file's cases kept, in this order. */
static int preset_cases(struct parse *p, const char *name, yaml_node_t *v)
{
    char labels[VP_EXP_MAX_VALUES][VP_STR_MAX];
    struct vp_mark marks[VP_EXP_MAX_VALUES];
    int n, rc = vp_parse_scalar_list(p, "cases", v, labels, marks, &n);
    if (rc < 0)
        return rc;
    struct vp_exp_case *kept = malloc(sizeof p->exp->cases);
    if (kept == NULL)
        return vp_run_error(p->err, ENOMEM, "preset");
    for (int i = 0; rc == 0 && i < n; i++) {
        int found = -1;
        for (int c = 0; c < p->exp->ncases; c++)
            if (strcmp(p->exp->cases[c].label, labels[i]) == 0)
                found = c;
        if (found < 0)
            rc = vp_input_error(p->err, "%s:%d:%d: preset %s: no case labelled \"%s\"", p->path,
                                marks[i].line, marks[i].col, name, labels[i]);
        else
            kept[i] = p->exp->cases[found];
    }
    if (rc == 0) {
        memcpy(p->exp->cases, kept, (size_t)n * sizeof *kept);
        p->exp->ncases = n;
    }
    free(kept);
    return rc;
}

/* key: value for the whole file: a setting, a field, NAME.key or a load
 * option, as a case would set it. */
static int preset_value(struct parse *p, yaml_node_t *k, yaml_node_t *v)
{
    int rc = vp_parse_want_scalar(p, v, vp_parse_scalar(k));
    if (rc < 0)
        return rc;
    const char *key = vp_parse_scalar(k), *value = vp_parse_scalar(v);
    if ((rc = vp_parse_try_value(p, key, vp_parse_mark_of(k), value, vp_parse_mark_of(v))) < 0)
        return rc;
    struct vp_experiment *e = p->exp;
    struct vp_exp_scope sc = {&e->s, e->apps, e->napps, e->loads, e->nloads};
    return vp_exp_apply(&sc, key, value, p->err);
}

static int apply_preset(struct parse *p, const char *name, yaml_node_t *m)
{
    if (m->type != YAML_MAPPING_NODE)
        return vp_parse_at(p, m, "preset %s: expected a mapping of key: value, got %s", name,
                           vp_parse_kind_name(m));
    int rc = vp_parse_no_duplicates(p, m);
    for (yaml_node_pair_t *pr = m->data.mapping.pairs.start;
         rc == 0 && pr < m->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = vp_parse_node(p, pr->key), *v = vp_parse_node(p, pr->value);
        if ((rc = vp_parse_want_scalar(p, k, "key")) < 0)
            break;
        const char *key = vp_parse_scalar(k);
        if (strcmp(key, "matrix") == 0)
            rc = preset_matrix(p, name, v);
        else if (strcmp(key, "cases") == 0)
            rc = preset_cases(p, name, v);
        else if (strcmp(key, "overhead") == 0)
            rc = vp_parse_overhead(p, v);
        else if (strcmp(key, "appliances") == 0 || strcmp(key, "loads") == 0 ||
                 strcmp(key, "presets") == 0)
            rc = vp_parse_at(p, k, "preset %s: %s cannot be replaced, only their keys set", name,
                             key);
        else
            rc = preset_value(p, k, v);
    }
    return rc;
}

int vp_parse_presets(struct parse *p, yaml_node_t *v, yaml_node_t *root)
{
    const char *want = p->checks ? p->checks->preset : NULL;
    bool found = false;
    int rc = 0;
    if (v && v->type != YAML_MAPPING_NODE)
        return vp_parse_at(p, v, "presets: expected a mapping of name: {key: value}, got %s",
                           vp_parse_kind_name(v));
    if (v && (rc = vp_parse_no_duplicates(p, v)) < 0)
        return rc;
    struct vp_experiment *copy = malloc(sizeof *copy);
    if (copy == NULL)
        return vp_run_error(p->err, ENOMEM, "presets");
    for (yaml_node_pair_t *pr = v ? v->data.mapping.pairs.start : NULL;
         rc == 0 && v && pr < v->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = vp_parse_node(p, pr->key), *m = vp_parse_node(p, pr->value);
        if ((rc = vp_parse_want_scalar(p, k, "preset name")) < 0)
            break;
        const char *name = vp_parse_scalar(k);
        if (!vp_parse_valid_name(name)) {
            rc = vp_parse_at(p, k, "preset name \"%s\": use at most 40 letters, digits, - and _",
                             name);
            break;
        }
        struct parse on_copy = *p;
        *copy = *p->exp;
        on_copy.exp = copy;
        rc = apply_preset(&on_copy, name, m); /* every preset checked */
        if (rc == 0 && want && strcmp(name, want) == 0) {
            found = true;
            rc = apply_preset(p, name, m);
        }
    }
    free(copy);
    if (rc == 0 && want && !found)
        rc = vp_parse_at(p, v ? v : root, "no preset \"%s\" in this file%s", want,
                         v ? "" : " (it has no presets:)");
    return rc;
}
