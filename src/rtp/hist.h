/* Latency histograms with a documented error bound (log-linear buckets, as
 * fio and HdrHistogram keep them), and the figures a boxplot needs.
 *
 * Values are unsigned nanoseconds. Values below 128 ns have a bucket each;
 * above, every power of two is split into 64 equal buckets, so a bucket is at
 * most 1/64 of its lower bound wide. A percentile is reported as the middle
 * of the bucket holding the nearest-rank sample, clamped to the exact min and
 * max: it is within VP_HIST_REL_ERROR of that sample's value (plus 0.5 ns).
 * Buckets can be stored and read back, so every figure can be recomputed. */
#ifndef VP_RTP_HIST_H
#define VP_RTP_HIST_H

#include <stdint.h>

#define VP_HIST_SUB_BITS  6
#define VP_HIST_SUB       (1u << VP_HIST_SUB_BITS)                /* 64 */
#define VP_HIST_MAX_SHIFT 36                                      /* up to ~2^42 ns, 73 min */
#define VP_HIST_BUCKETS   (VP_HIST_SUB * (VP_HIST_MAX_SHIFT + 2)) /* 2432 */
#define VP_HIST_REL_ERROR (1.0 / 128)

struct vp_hist {
    uint64_t count;
    uint64_t min, max;
    double sum;
    uint32_t buckets[VP_HIST_BUCKETS];
};

void vp_hist_init(struct vp_hist *h);
void vp_hist_add(struct vp_hist *h, uint64_t v);
/* Add n samples of value v (for reading stored buckets back). */
void vp_hist_add_n(struct vp_hist *h, uint64_t v, uint64_t n);
void vp_hist_merge(struct vp_hist *into, const struct vp_hist *from);

/* Bucket i covers [lo, hi]. */
unsigned vp_hist_index(uint64_t v);
void vp_hist_bucket_bounds(unsigned i, uint64_t *lo, uint64_t *hi);

/* Nearest-rank percentile p in [0, 100]; 0 when empty. */
double vp_hist_percentile(const struct vp_hist *h, double p);
double vp_hist_mean(const struct vp_hist *h);

#define VP_BOX_MAX_OUTLIERS 16

/* Tukey's boxplot: quartiles, whiskers at the most extreme samples within
 * 1.5·IQR of the box, and the outliers beyond them (as buckets: value, count;
 * the most extreme VP_BOX_MAX_OUTLIERS buckets on each side are listed). */
struct vp_boxplot {
    double min, q1, median, q3, max;
    double whisker_lo, whisker_hi;
    uint64_t outliers_lo, outliers_hi; /* samples */
    int nout;
    double out_value[2 * VP_BOX_MAX_OUTLIERS];
    uint64_t out_count[2 * VP_BOX_MAX_OUTLIERS];
};

void vp_hist_boxplot(const struct vp_hist *h, struct vp_boxplot *b);

#endif
