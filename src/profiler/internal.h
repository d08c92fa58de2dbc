/* Inside the profiler: the profiler object shared by the sampler
 * (profiler.c), the outputs (output.c) and the Prometheus page (prom.c). */
#ifndef VP_PROFILER_INTERNAL_H
#define VP_PROFILER_INTERNAL_H

#include <pthread.h>

#include "profiler/profiler.h"
#include "profiler/series.h"

struct vp_prof_out;
struct MHD_Daemon;

struct vp_profiler {
    pthread_mutex_t mu; /* guards everything below that the sampler touches */
    struct vp_prof_target **targets;
    size_t ntargets, cap;
    uint64_t interval_ns, start_ns, stop_ns;
    uint64_t samples, missed, cpu_ns;
    struct vp_prof_hist hist;
    struct vp_prof_out *out;
    struct vp_err out_err; /* the first output failure, reported at stop */
    struct MHD_Daemon *mhd;
    int prom_port;
    int64_t profile_id;
    int tfd, efd;
    pthread_t thread;
    bool running;
    bool realtime;
};

/* Outputs: the store (batched) and CSV. */
int vp_prof_out_open(const struct vp_profiler_cfg *cfg, struct vp_prof_out **out,
                     int64_t *profile_id, struct vp_err *err);
/* Write the rates of one sample taken t_s after the start; commits the
 * store's transaction when a second has passed since the last commit. */
int vp_prof_out_sample(struct vp_prof_out *o, double t_s, struct vp_prof_target *const *targets,
                       size_t n, struct vp_err *err);
int vp_prof_out_mark(struct vp_prof_out *o, double t_s, const char *label, struct vp_err *err);
/* Commit what is pending, record the profiler's cost and close; with self
 * NULL (a profile abandoned before it stopped) remove its rows and CSV file. */
int vp_prof_out_close(struct vp_prof_out *o, const struct vp_profiler_self *self,
                      struct vp_err *err);

/* The Prometheus endpoint. */
int vp_prof_prom_start(struct vp_profiler *p, const char *addr, struct vp_err *err);
void vp_prof_prom_stop(struct vp_profiler *p);
/* The exposition page of the current state (caller holds p->mu). */
void vp_prof_prom_render(struct vp_profiler *p, FILE *f);

#endif
