/* Routers of the test bed (topo.h) as appliances of a platform:
 *   vm         a QEMU guest with two network cards on taps that live in the
 *              test bed's host namespace H, where topo.c bridges or routes
 *              them as it does a namespace router's veths;
 *   container  an appliance of the container platform (net none): its own
 *              network namespace gets the router's two links from topo.c,
 *              exactly as a bare namespace router does, and its cgroup
 *              holds what the router's processes do (installing routes:
 *              the memory limit counts the routing table's kernel memory).
 * Either way the router is configured by `virtperf router-node` run in it
 * (node.h), so it routes exactly as a namespace router would. What the
 * platform creates is journaled (a killed run's QEMU and container init
 * die with it; `virtperf cleanup` removes the rest). */
#ifndef VP_ROUTER_TOPO_APP_H
#define VP_ROUTER_TOPO_APP_H

#include <stdint.h>

#include "core/error.h"
#include "router/topo.h"

/* NULL when routers of platform p (VP_FWD_VM, VP_FWD_CONTAINER) can run
 * here, else why not. */
const char *vp_fwd_app_unsupported(enum vp_fwd_platform p);

/* Two taps named a and b, with MACs mac_a and mac_b, in the namespace ns;
 * their descriptors in fds (the taps live while a descriptor is open). */
int vp_fwd_vm_taps(int ns, const char *a, const uint8_t mac_a[6], const char *b,
                   const uint8_t mac_b[6], int fds[2], struct vp_err *err);

/* Create router i as an appliance of t's platform: a VM's cards are the
 * taps t->r[i].tap with MACs in and out (its eth0 and eth1); a container
 * has no network but its own namespace, whose descriptor *ns gets (else
 * -1). Router 0's platform facts go to t->platform. */
int vp_fwd_app_make(struct vp_fwd_topo *t, int i, const uint8_t in[6], const uint8_t out[6],
                    int *ns, struct vp_err *err);

/* router-node in router i: STEP NULL configures it all (t->r[i].routes_s
 * gets the routes' seconds), else "add", "remove" (the seconds in *secs)
 * or "count" (the routes it holds in *count). */
int vp_fwd_app_node(struct vp_fwd_topo *t, int i, const char *step, double *secs, uint32_t *count,
                    struct vp_err *err);

/* Stop and remove every appliance router and close the VMs' taps. */
void vp_fwd_app_free(struct vp_fwd_topo *t);

#endif
