/* The figures of a report, built once from the store as JSON (fig.h says
 * the form): each experiment or run a section of figures with their
 * tables, and the methods behind them. report.js draws them; nothing else
 * computes a figure. */
#ifndef VP_REPORT_FIGURES_H
#define VP_REPORT_FIGURES_H

#include <stdint.h>

#include "core/error.h"
#include "core/json.h"
#include "experiment/exp_store.h"
#include "store/store.h"

/* The largest number of samples a time series shows (min and max of each
 * bucket of a longer one; the store keeps them all). */
#define VP_FIG_MAX_SAMPLES 600
/* Per-load time figures (SIP intervals, capacity steps) drawn for an
 * experiment; the loads' tables still list all of them. */
#define VP_FIG_MAX_LOAD_FIGS 24

/* One section object per call (inside the document's "sections" array).
 * An unknown id is an input error. */
int vp_figures_experiment(struct vp_store *st, int64_t id, struct vp_json *j, struct vp_err *err);
/* Runs side by side, one section: a figure per metric (the elapsed time
 * first) with a bar and its CI per run that has it, and their methods. */
int vp_figures_runs(struct vp_store *st, const int64_t *ids, int n, struct vp_json *j,
                    struct vp_err *err);

/* Parts of an experiment's section, in figures_*.c; each writes its
 * figures (none when it has nothing to show) into the open "figures"
 * array. */
int vp_figures_workload(struct vp_store *st, const struct vp_exp_data *d, struct vp_json *j,
                        struct vp_err *err);
int vp_figures_loads(struct vp_store *st, const struct vp_exp_data *d, struct vp_json *j,
                     struct vp_err *err);
int vp_figures_model(struct vp_store *st, const struct vp_exp_data *d, struct vp_json *j,
                     struct vp_err *err);
int vp_figures_profile(struct vp_store *st, const struct vp_exp_data *d, struct vp_json *j,
                       struct vp_err *err);
int vp_figures_methods(struct vp_store *st, const struct vp_exp_data *d, struct vp_json *j,
                       struct vp_err *err);

/* A load's run over its time, for the driver tables' time_figures
 * (figures_sip.c): label names the point and load. */
int vp_figures_sip_intervals(struct vp_store *st, struct vp_json *j, const char *label,
                             int64_t run_id, struct vp_err *err);
int vp_figures_capacity_steps(struct vp_store *st, struct vp_json *j, const char *label,
                              int64_t run_id, struct vp_err *err);
/* The capacity search's target as the point's profile saw it in each step
 * (figures_sip_target.c); nothing without a profile. */
int vp_figures_capacity_target(struct vp_store *st, struct vp_json *j, const char *label,
                               int64_t run_id, struct vp_err *err);

/* x axis label of point p in d (its platform added when d has several). */
void vp_figures_label(char *buf, size_t len, const struct vp_exp_data *d,
                      const struct vp_exp_point_row *p);

#endif
