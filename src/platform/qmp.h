/* A QEMU Machine Protocol client, for what the vm platform asks of its
 * QEMU process: the vCPU threads (to pin them before the guest runs), and
 * to run and to quit. */
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

/* A command without arguments ("cont", "quit"); 0 when QEMU took it. */
int vp_qmp_execute(const char *socket_path, const char *command, struct vp_err *err);

/* A virtio network card on the tap or macvtap descriptor tapfd (passed to
 * QEMU over the socket), with that MAC address; before "cont", the guest
 * finds it at boot as if it had been on the command line. */
int vp_qmp_add_nic(const char *socket_path, const char *id, int tapfd, const char *mac,
                   struct vp_err *err);

#endif
