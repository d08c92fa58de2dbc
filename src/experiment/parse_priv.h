/* What the experiment-file parser's parts share (parse.c: the document,
 * settings, appliances, matrix; parse_loads.c: loads and cases): the state of
 * one parse and the helpers that check values and name their position. */
#ifndef VP_EXPERIMENT_PARSE_PRIV_H
#define VP_EXPERIMENT_PARSE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "experiment/experiment.h"

struct parse {
    const char *path;
    yaml_document_t doc;
    const struct vp_exp_checks *checks;
    struct vp_experiment *exp;
    struct vp_err *err;
};

struct vp_mark vp_parse_mark_of(const yaml_node_t *n);
/* An input error "path:line:col: message" at the node's position. */
int vp_parse_at(struct parse *p, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The option parser's message in p->err, at position m (dashes dropped). */
int vp_parse_at_opt(struct parse *p, struct vp_mark m);
const char *vp_parse_scalar(const yaml_node_t *n);
const char *vp_parse_kind_name(const yaml_node_t *n);
int vp_parse_want_scalar(struct parse *p, const yaml_node_t *n, const char *key);
yaml_node_t *vp_parse_node(struct parse *p, int id);
/* A key given twice in one mapping is refused at its second place. */
int vp_parse_no_duplicates(struct parse *p, yaml_node_t *m);
/* Set key through an option table; -ENOENT when the table has no key. */
int vp_parse_set_opt(struct parse *p, const struct vp_opt *opts, void *base, const char *key,
                     yaml_node_t *v);
/* Check options against their owner's table (reserved: a command's keys
 * the runner sets, refused; may be NULL; fields: what else the key could
 * have been). */
int vp_parse_check_opts(struct parse *p, const struct vp_opt_table *table,
                        const char *const *reserved, const char *owner, const char *fields,
                        const struct vp_kv *kv, int n);
/* Keep an option (or, for "options:", each of several) for check_opts. */
int vp_parse_add_opt(struct parse *p, struct vp_kv *opts, int *nopts, yaml_node_t *k,
                     yaml_node_t *v);
int vp_parse_add_opt_or_options(struct parse *p, struct vp_kv *opts, int *nopts, yaml_node_t *k,
                                yaml_node_t *v);
/* 1..40 letters, digits, - and _. */
bool vp_parse_valid_name(const char *name);
/* Apply key = value to a copy of the experiment: errors at the value's
 * position, or the key's when nothing has that key. */
int vp_parse_try_value(struct parse *p, const char *key, struct vp_mark key_mark, const char *value,
                       struct vp_mark value_mark);

/* A scalar or a list of scalars as values (at most VP_EXP_MAX_VALUES). */
int vp_parse_scalar_list(struct parse *p, const char *key, yaml_node_t *v, char (*out)[VP_STR_MAX],
                         struct vp_mark *marks, int *n);
/* Each value of a matrix axis applied once to a copy of the experiment. */
int vp_parse_check_axis(struct parse *p, const struct vp_exp_axis *ax);
/* overhead: {counts: [...], seconds: S} */
int vp_parse_overhead(struct parse *p, yaml_node_t *v);

/* parse_presets.c: every preset checked, the one p->checks->preset names
 * applied (v NULL: the file has none; root for the error's position). */
int vp_parse_presets(struct parse *p, yaml_node_t *v, yaml_node_t *root);

/* parse_hosts.c: hosts: {NAME: {ssh: ..., identity: ...}} */
int vp_parse_hosts(struct parse *p, yaml_node_t *v);
/* timeserver: HOST:PORT naming one of hosts: makes it the time host (its
 * address put in the setting). */
int vp_parse_time_host(struct parse *p, yaml_node_t *root);

/* parse_loads.c */
int vp_parse_loads(struct parse *p, yaml_node_t *v);
int vp_parse_cases(struct parse *p, yaml_node_t *v);

#endif
