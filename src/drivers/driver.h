/* Load drivers: the virtperf commands an experiment runs on the host
 * against the instances of a server appliance (server.h), each described by
 * one const struct vp_driver in its own file here: its options, what it
 * targets, where its run is stored, and how that run is summarised from the
 * store, printed and drawn. The experiment parser, the runner and the
 * reports look a driver up (by the name in an experiment file, or
 * point_loads.driver in a store) and ask it; none of them knows a driver by
 * name or switches on its kind.
 *
 * Adding a driver is one new file, drivers/NAME.c (with drivers/NAME.h when
 * its command or its tests read its options struct or its figures), plus
 * one line in drivers.c's table (and its name in src/meson.build). */
#ifndef VP_DRIVERS_DRIVER_H
#define VP_DRIVERS_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analysis/load_stats.h"
#include "analysis/stats.h"
#include "core/error.h"
#include "core/json.h"
#include "core/opt.h"
#include "drivers/server.h"
#include "rtp/hist.h"
#include "store/store.h"

struct vp_driver;

/* A load's run read back from the store: what every driver has, and the
 * driver's own figures. */
struct vp_load_figures {
    const struct vp_driver *driver; /* NULL only for an unknown driver without a run */
    char status[32];                /* the run's status; "failed" / "missing" without a run */
    /* the generator fell behind its plan (a capacity step 'rejected', the
     * uac's generator_bottleneck, the rtp client's generator_late) */
    bool generator_limited;
    void *own; /* the driver's figures (figures_size bytes); NULL without a run */
};

/* The charts of an experiment's report (report/figures_loads.c) a load can join. */
enum vp_chart {
    VP_CHART_NONE,
    VP_CHART_DELAY_BOX,    /* a delay boxplot (log axis) with the loss under it */
    VP_CHART_CAPACITY_BAR, /* a rate from 0 with its 95% CI */
    VP_CHART_COUNT,
};

/* A load's values on its chart. */
struct vp_chart_value {
    struct vp_boxplot delay_ms; /* delay box: in ms */
    double loss_pct;            /* delay box: under it */
    /* delay box: the loss and the median's batch-means summaries (their
     * 95% CI in the table); n = 0 without */
    struct vp_summary loss_batches, median_batches;
    struct vp_summary rate; /* capacity bar: mean and 95% CI */
    const char *unit;       /* capacity bar: "calls/s", "frames/s" (a chart per unit) */
};

struct vp_driver {
    const char *name;            /* in experiment files and point_loads.driver: "rtp" */
    const char *command;         /* the virtperf command it runs: "rtp-client" */
    struct vp_opt_table options; /* the command's own */
    /* what its target appliance runs; NULL: it drives no appliance (one
     * generator per point, no target: the router's own test bed) */
    const struct vp_server *serves;
    const char *target_opt;      /* the option taking the target's HOST:PORT */
    const char *const *reserved; /* options the runner sets (refused in files) */
    bool stoppable;              /* SIGUSR1 cuts its duration short: may be background */
    /* its generator keeps root's capabilities (it builds a test bed of its
     * own); the others keep none */
    bool privileged;
    const char *store_kind; /* point_loads.kind: "sip" (sip_runs) or "rtp" (rtp_runs) */

    size_t figures_size; /* of its own figures struct */
    /* Read run_id's figures into f->own (zeroed), f->status and
     * f->generator_limited: 0, 1 when the run is no longer stored, or an
     * error. */
    int (*summarise)(struct vp_store *st, int64_t run_id, struct vp_load_figures *f,
                     struct vp_err *err);
    /* The headline of a load with a run, on its line of the results table
     * (after "DRIVER TARGET: "). */
    void (*print)(FILE *out, const struct vp_load_figures *f);
    /* The same figures as members of the load's JSON object. */
    void (*json)(struct vp_json *j, const struct vp_load_figures *f);
    /* What a generator that fell behind its plan means for its figures. */
    const char *generator_note;
    /* Which chart the load joins, with its values; VP_CHART_NONE when it
     * has nothing to draw. Optional (NULL: never drawn). */
    enum vp_chart (*draw)(const struct vp_load_figures *f, struct vp_chart_value *v);
    /* The report's figures of the run over its time (report/figures_sip.c),
     * one figure object each, label naming its point and load. Optional. */
    int (*time_figures)(struct vp_store *st, struct vp_json *j, const char *label, int64_t run_id,
                        struct vp_err *err);
};

/* Every driver, in the order errors list them, NULL-terminated. */
extern const struct vp_driver *const vp_drivers[];

const struct vp_driver *vp_driver_find(const char *name);

/* The figures of a point's load, by its driver: a load without a stored
 * run has none (status "failed", or "missing" when its run is gone). An
 * unknown driver with a run is an error. Free with vp_load_figures_free. */
int vp_load_figures(struct vp_store *st, const struct vp_load_row *row, struct vp_load_figures *f,
                    struct vp_err *err);
void vp_load_figures_free(struct vp_load_figures *f);

#endif
