/* The Prometheus text exposition format (version 0.0.4), served by
 * libmicrohttpd on its own thread at /metrics (any path answers). */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/internal.h"

/* One family: HELP, TYPE, then every fresh series of every target. */
static void render_family(struct vp_profiler *p, enum vp_prof_fam fam, FILE *f)
{
    const struct vp_prof_family *pf = &vp_prof_families[fam];
    bool header = false;
    for (size_t i = 0; i < p->ntargets; i++) {
        const struct vp_prof_target *t = p->targets[i];
        if (t->absent)
            continue;
        for (size_t k = 0; k < t->nseries; k++) {
            const struct vp_prof_series *s = &t->series[k];
            if (s->fam != fam || !s->fresh)
                continue;
            if (!header) {
                fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", pf->prom, pf->help, pf->prom,
                        pf->counter ? "counter" : "gauge");
                header = true;
            }
            const char *sep = t->labels[0] && s->labels[0] ? "," : "";
            fprintf(f, "%s{%s%s%s} %.15g\n", pf->prom, t->labels, sep, s->labels, s->value);
        }
    }
}

void vp_prof_prom_render(struct vp_profiler *p, FILE *f)
{
    for (int fam = 0; fam < VP_FAM_N; fam++)
        render_family(p, (enum vp_prof_fam)fam, f);
    fputs("# HELP virtperf_profiler_cpu_seconds_total CPU time of the profiler's sampler "
          "thread.\n# TYPE virtperf_profiler_cpu_seconds_total counter\n",
          f);
    fprintf(f, "virtperf_profiler_cpu_seconds_total %.9f\n", (double)p->cpu_ns / 1e9);
    fputs("# HELP virtperf_profiler_samples_total Samples taken.\n"
          "# TYPE virtperf_profiler_samples_total counter\n",
          f);
    fprintf(f, "virtperf_profiler_samples_total %llu\n", (unsigned long long)p->samples);
    fputs("# HELP virtperf_profiler_missed_samples_total Deadlines that passed without a "
          "sample.\n# TYPE virtperf_profiler_missed_samples_total counter\n",
          f);
    fprintf(f, "virtperf_profiler_missed_samples_total %llu\n", (unsigned long long)p->missed);
    fputs("# HELP virtperf_profiler_sample_lateness_seconds How late each sample woke after "
          "its deadline (log-linear histogram, quantiles within 1.6%).\n"
          "# TYPE virtperf_profiler_sample_lateness_seconds summary\n",
          f);
    static const double qs[] = {0.5, 0.9, 0.99, 1};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
        fprintf(f, "virtperf_profiler_sample_lateness_seconds{quantile=\"%g\"} %.9f\n", qs[i],
                (double)vp_prof_hist_quantile(&p->hist, qs[i]) / 1e9);
    fprintf(f, "virtperf_profiler_sample_lateness_seconds_sum %.9f\n", p->hist.sum / 1e9);
    fprintf(f, "virtperf_profiler_sample_lateness_seconds_count %llu\n",
            (unsigned long long)p->hist.n);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    (void)url;
    (void)version;
    (void)upload;
    (void)upload_size;
    (void)con_cls;
    struct vp_profiler *p = cls;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return MHD_NO;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL)
        return MHD_NO;
    pthread_mutex_lock(&p->mu);
    vp_prof_prom_render(p, f);
    pthread_mutex_unlock(&p->mu);
    if (fclose(f) != 0) {
        free(text);
        return MHD_NO;
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return rc;
}

/* "ADDR:PORT", ":PORT" or "PORT" (loopback), "[V6]:PORT". */
static int parse_addr(const char *s, struct sockaddr_storage *ss, struct vp_err *err)
{
    memset(ss, 0, sizeof *ss);
    char host[64] = "127.0.0.1";
    const char *port = s;
    const char *colon = strrchr(s, ':');
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL || close[1] != ':' || (size_t)(close - s - 1) >= sizeof host)
            goto bad;
        snprintf(host, sizeof host, "%.*s", (int)(close - s - 1), s + 1);
        port = close + 2;
    } else if (colon) {
        if ((size_t)(colon - s) >= sizeof host)
            goto bad;
        if (colon > s)
            snprintf(host, sizeof host, "%.*s", (int)(colon - s), s);
        port = colon + 1;
    }
    char *end;
    long pn = strtol(port, &end, 10);
    if (port[0] == '\0' || *end || pn < 0 || pn > 65535)
        goto bad;
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)pn);
    } else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)pn);
    } else {
        goto bad;
    }
    return 0;
bad:
    return vp_input_error(err, "--prometheus \"%s\": expected ADDR:PORT, :PORT or PORT", s);
}

int vp_prof_prom_start(struct vp_profiler *p, const char *addr, struct vp_err *err)
{
    struct sockaddr_storage ss;
    int rc = parse_addr(addr, &ss, err);
    if (rc < 0)
        return rc;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    p->mhd = MHD_start_daemon(flags, 0, NULL, NULL, answer, p, MHD_OPTION_SOCK_ADDR,
                              (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
                              MHD_OPTION_END);
    if (p->mhd == NULL)
        return vp_input_error(err, "--prometheus %s: cannot listen there (address in use?)", addr);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(p->mhd, MHD_DAEMON_INFO_BIND_PORT);
    p->prom_port = info ? info->port : 0;
    return 0;
}

void vp_prof_prom_stop(struct vp_profiler *p)
{
    if (p->mhd) {
        MHD_stop_daemon(p->mhd);
        p->mhd = NULL;
    }
}
