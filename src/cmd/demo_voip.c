/* The demo's telephony part: one experiment file's worth of seed 000 and
 * seed 001 in small, through the experiment runner. */
#include <stdio.h>

#include "cmd/cmd.h"
#include "cmd/demo_platforms.h"
#include "platform/platform.h"
#include "report/exp_view.h"

/* Servers in containers when they work here, else native processes. */
static const char voip_yaml[] =
    "name: demo-voip\n"
    "platform: %s\n"
    "warmup: 0\n"
    "overcommit: true\n"
    "profile-interval: 500ms\n"
    "appliances:\n"
    "  - {name: sip, role: sip-server, net: bridge, vcpus: 1, work-us: 300}\n"
    "  - {name: media, role: media-server, net: bridge, vcpus: 1, threads: 1}\n"
    "  - {name: cpu, workload: cpu-pi, preset: small, vcpus: 1, count: 0}\n"
    "loads:\n"
    "  - {name: calls, driver: sip-capacity, target: sip, start: 500, max: 8000, step: 1s,\n"
    "     settle: 200ms, drain: 500ms, repeats: 3, precision: 0.1}\n"
    "  - {name: streams, driver: rtp, target: media, background: true, streams: 300,\n"
    "     duration: 3600s}\n"
    "cases:\n"
    "  - {label: alone}\n"
    "  - {label: next to a CPU-bound appliance, cpu.count: 1}\n";

int vp_demo_voip(struct vp_store *st, bool progress, struct vp_json *j)
{
    const struct vp_platform_ops *c = vp_platform_find("container");
    bool containers = c && !(c->unsupported && c->unsupported());
    char yaml[sizeof voip_yaml + 16];
    snprintf(yaml, sizeof yaml, voip_yaml, containers ? "container" : "native");
    if (j == NULL) {
        printf("\ntelephony (seeds 000, 001): a SIP appliance's highest clean calls/s and a\n"
               "media appliance's loss and delay (300 streams), alone and next to cpu-pi\n\n");
        fflush(stdout);
    }
    int64_t id = vp_demo_run_yaml(st, "demo voip", yaml, progress);
    if (j) {
        vp_json_int(j, "voip_experiment_id", id > 0 ? id : -id);
    } else if (id != 0) {
        vp_exp_view(st, id > 0 ? id : -id, NULL, false, NULL);
    }
    return id <= 0;
}
