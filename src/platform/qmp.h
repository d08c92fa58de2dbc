/* A QEMU Machine Protocol client, for what the vm platform asks of its
 * QEMU process: the vCPU threads (to pin them) and a clean quit. */
#ifndef VP_PLATFORM_QMP_H
#define VP_PLATFORM_QMP_H

#include <jansson.h>
#include <sys/types.h>

#include "core/error.h"

#define VP_QMP_MAX_VCPUS 64

/* The host thread id of each vCPU, in cpu-index order; returns how many. */
int vp_qmp_vcpu_threads(const char *socket_path, pid_t *tids, int max, struct vp_err *err);

/* The same from a query-cpus-fast reply's "return" array (as libvirt
 * passes it on); returns how many. */
int vp_qmp_parse_vcpus(const json_t *cpus, pid_t *tids, int max);

/* Ask QEMU to quit; 0 when it took the command. */
int vp_qmp_quit(const char *socket_path, struct vp_err *err);

#endif
