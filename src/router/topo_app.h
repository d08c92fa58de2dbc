/* Routers of the test bed (topo.h) as virtual machines: QEMU guests of the
 * vm platform, each with two network cards on taps that live in the test
 * bed's host namespace H, where topo.c bridges or routes them as it does a
 * namespace router's veths; the guest is configured by `virtperf
 * router-node` run in it (node.h), so it routes exactly as a namespace
 * router would. What the platform creates is journaled (a killed run's
 * QEMU dies with it; `virtperf cleanup` removes the rest). */
#ifndef VP_ROUTER_TOPO_VM_H
#define VP_ROUTER_TOPO_VM_H

#include <stdint.h>

#include "core/error.h"
#include "router/topo.h"

/* NULL when VM routers can run here, else why not. */
const char *vp_fwd_vm_unsupported(void);

/* Two taps named a and b, with MACs mac_a and mac_b, in the namespace ns;
 * their descriptors in fds (the taps live while a descriptor is open). */
int vp_fwd_vm_taps(int ns, const char *a, const uint8_t mac_a[6], const char *b,
                   const uint8_t mac_b[6], int fds[2], struct vp_err *err);

/* Boot router i as a VM whose cards are the taps fds (MACs in and out, the
 * guest's eth0 and eth1), then configure it with t->r[i].node. */
int vp_fwd_vm_router(struct vp_fwd_topo *t, int i, const int fds[2], const uint8_t in[6],
                     const uint8_t out[6], struct vp_err *err);

/* router-node STEP (add, remove, count) in router i: the seconds it took,
 * or the routes it holds. */
int vp_fwd_vm_node(struct vp_fwd_topo *t, int i, const char *step, double *secs, uint32_t *count,
                   struct vp_err *err);

/* Stop and remove every VM router and close its taps. */
void vp_fwd_vm_free(struct vp_fwd_topo *t);

#endif
