/* Reading runs back from the store, for `results` and reports. */
#ifndef VP_STORE_QUERY_H
#define VP_STORE_QUERY_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

struct vp_metric_row {
    char name[64];
    char unit[32];
    bool harmonic;
    bool higher_is_better;
};

struct vp_round_row {
    int round;
    bool warmup;
    double elapsed_s;                    /* internal: the appliance's own CLOCK_MONOTONIC */
    double values[VP_STORE_MAX_METRICS]; /* NaN where the round stored none */
    /* external timekeeping (timing/): the time server's elapsed, NaN when the
     * run had none; ratio = internal / external */
    double external_s, ratio;
    bool clock_distorted;
};

struct vp_run_data {
    int64_t id;
    char *kind, *subject, *command, *params, *host, *version, *status, *error;
    char *started_at, *finished_at;
    char *run_token; /* NULL unless the run marked its rounds to a time server */
    char *platform;  /* JSON: the VM the rounds ran in; NULL on the host */
    int rounds_planned, warmup_planned;
    int nmetrics;
    struct vp_metric_row metrics[VP_STORE_MAX_METRICS];
    int nrounds; /* rounds stored, warm-up included */
    struct vp_round_row *rounds;
};

/* Load one run with its rounds. An unknown id is an input error. */
int vp_store_load_run(struct vp_store *st, int64_t id, struct vp_run_data *run, struct vp_err *err);

/* The newest `limit` runs (0 = all), newest first, without their rounds
 * (nrounds still counts them). *runs is an array to free with vp_run_list_free. */
int vp_store_list_runs(struct vp_store *st, int limit, struct vp_run_data **runs, int *n,
                       struct vp_err *err);

void vp_run_data_free(struct vp_run_data *run);
void vp_run_list_free(struct vp_run_data *runs, int n);

#endif
