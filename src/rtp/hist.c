#include "rtp/hist.h"

#include <string.h>

void vp_hist_init(struct vp_hist *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

unsigned vp_hist_index(uint64_t v)
{
    if (v < 2 * VP_HIST_SUB)
        return (unsigned)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v);
    unsigned shift = msb - VP_HIST_SUB_BITS;
    if (shift > VP_HIST_MAX_SHIFT)
        return VP_HIST_BUCKETS - 1; /* beyond the range: the last bucket */
    return VP_HIST_SUB * shift + (unsigned)(v >> shift);
}

void vp_hist_bucket_bounds(unsigned i, uint64_t *lo, uint64_t *hi)
{
    if (i < 2 * VP_HIST_SUB) {
        *lo = *hi = i;
        return;
    }
    unsigned shift = i / VP_HIST_SUB - 1;
    uint64_t m = i - VP_HIST_SUB * shift; /* in [64, 128) */
    *lo = m << shift;
    *hi = *lo + (1ull << shift) - 1;
}

void vp_hist_add_n(struct vp_hist *h, uint64_t v, uint64_t n)
{
    if (n == 0)
        return;
    h->buckets[vp_hist_index(v)] += (uint32_t)n;
    h->count += n;
    h->sum += (double)v * (double)n;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
}

void vp_hist_add(struct vp_hist *h, uint64_t v)
{
    vp_hist_add_n(h, v, 1);
}

void vp_hist_merge(struct vp_hist *into, const struct vp_hist *from)
{
    if (from->count == 0)
        return;
    for (unsigned i = 0; i < VP_HIST_BUCKETS; i++)
        into->buckets[i] += from->buckets[i];
    into->count += from->count;
    into->sum += from->sum;
    if (from->min < into->min)
        into->min = from->min;
    if (from->max > into->max)
        into->max = from->max;
}

double vp_hist_mean(const struct vp_hist *h)
{
    return h->count ? h->sum / (double)h->count : 0;
}

/* The reported value of bucket i: its middle, clamped to the exact extremes. */
static double bucket_value(const struct vp_hist *h, unsigned i)
{
    uint64_t lo, hi;
    vp_hist_bucket_bounds(i, &lo, &hi);
    double v = ((double)lo + (double)hi) / 2;
    if (v < (double)h->min)
        v = (double)h->min;
    if (v > (double)h->max)
        v = (double)h->max;
    return v;
}

/* Bucket holding the sample of 1-based rank r. */
static unsigned rank_bucket(const struct vp_hist *h, uint64_t r)
{
    uint64_t seen = 0;
    for (unsigned i = 0; i < VP_HIST_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= r)
            return i;
    }
    return VP_HIST_BUCKETS - 1;
}

double vp_hist_percentile(const struct vp_hist *h, double p)
{
    if (h->count == 0)
        return 0;
    if (p <= 0)
        return (double)h->min;
    if (p >= 100)
        return (double)h->max;
    uint64_t r = (uint64_t)((p / 100.0) * (double)h->count + 0.999999999);
    if (r < 1)
        r = 1;
    return bucket_value(h, rank_bucket(h, r));
}

void vp_hist_boxplot(const struct vp_hist *h, struct vp_boxplot *b)
{
    memset(b, 0, sizeof *b);
    if (h->count == 0)
        return;
    b->min = (double)h->min;
    b->max = (double)h->max;
    b->q1 = vp_hist_percentile(h, 25);
    b->median = vp_hist_percentile(h, 50);
    b->q3 = vp_hist_percentile(h, 75);
    double iqr = b->q3 - b->q1;
    double fence_lo = b->q1 - 1.5 * iqr, fence_hi = b->q3 + 1.5 * iqr;
    b->whisker_lo = b->q1;
    b->whisker_hi = b->q3;
    int nlo = 0;
    for (unsigned i = 0; i < VP_HIST_BUCKETS; i++) { /* ascending: low outliers, low whisker */
        if (h->buckets[i] == 0)
            continue;
        double v = bucket_value(h, i);
        if (v < fence_lo) {
            b->outliers_lo += h->buckets[i];
            if (nlo < VP_BOX_MAX_OUTLIERS) {
                b->out_value[b->nout] = v;
                b->out_count[b->nout++] = h->buckets[i];
                nlo++;
            }
            continue;
        }
        b->whisker_lo = v < b->q1 ? v : b->q1;
        break;
    }
    int nhi = 0;
    for (unsigned i = VP_HIST_BUCKETS; i-- > 0;) { /* descending: high outliers, high whisker */
        if (h->buckets[i] == 0)
            continue;
        double v = bucket_value(h, i);
        if (v > fence_hi) {
            b->outliers_hi += h->buckets[i];
            if (nhi < VP_BOX_MAX_OUTLIERS) {
                b->out_value[b->nout] = v;
                b->out_count[b->nout++] = h->buckets[i];
                nhi++;
            }
            continue;
        }
        b->whisker_hi = v > b->q3 ? v : b->q3;
        break;
    }
}
