#include "analysis/run_stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int vp_run_samples(const struct vp_run_data *run, int metric, double **x, bool *harmonic)
{
    int n = 0;
    *x = malloc(((size_t)run->nrounds + 1) * sizeof **x);
    if (*x == NULL)
        return -ENOMEM;
    for (int i = 0; i < run->nrounds; i++) {
        const struct vp_round_row *r = &run->rounds[i];
        double v = metric == VP_METRIC_ELAPSED ? r->elapsed_s : r->values[metric];
        if (!r->warmup && !isnan(v))
            (*x)[n++] = v;
    }
    *harmonic = metric != VP_METRIC_ELAPSED && run->metrics[metric].harmonic;
    for (int i = 0; i < n && *harmonic; i++)
        *harmonic = (*x)[i] > 0; /* a zero rate: the plain mean */
    return n;
}

void vp_run_summary(const struct vp_run_data *run, int metric, struct vp_summary *s)
{
    double *x;
    bool harmonic;
    int n = vp_run_samples(run, metric, &x, &harmonic);
    memset(s, 0, sizeof *s);
    if (n > 0)
        vp_summarize(x, n, harmonic, s);
    free(x);
}
