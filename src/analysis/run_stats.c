#include "analysis/run_stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void vp_run_summary(const struct vp_run_data *run, int metric, struct vp_summary *s)
{
    double *x = malloc(((size_t)run->nrounds + 1) * sizeof *x);
    int n = 0;
    memset(s, 0, sizeof *s);
    if (x == NULL)
        return;
    for (int i = 0; i < run->nrounds; i++) {
        const struct vp_round_row *r = &run->rounds[i];
        double v = metric == VP_METRIC_ELAPSED ? r->elapsed_s : r->values[metric];
        if (!r->warmup && !isnan(v))
            x[n++] = v;
    }
    bool harmonic = metric != VP_METRIC_ELAPSED && run->metrics[metric].harmonic;
    if (n > 0 && vp_summarize(x, n, harmonic, s) < 0)
        vp_summarize(x, n, false, s); /* a zero rate: fall back to the plain mean */
    free(x);
}
