/* What the journal needs of the libvirt platform: removing a domain a
 * killed run left ("URI NAME"). 1 removed (or would be), 0 gone, -errno. */
#ifndef VP_PLATFORM_VM_LIBVIRT_H
#define VP_PLATFORM_VM_LIBVIRT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

int vp_libvirt_domain_remove(const char *what, bool dry_run);

/* A connection to another host's libvirtd (issue 17), "qemu+ssh://[USER@]
 * HOST/system" (or /session): 1 and the SSH destination ([USER@]HOST) and
 * the URI that names the same libvirtd there (qemu:///system), whose
 * appliances that host's agent keeps (platform/host.c): the guest's image,
 * sockets and network are made where the VM runs. 0 for any other URI;
 * an input error for one that names a port or parameters (the port and
 * key of a host go in the experiment's hosts:). */
int vp_libvirt_remote(const char *uri, char *dest, size_t dest_len, char *local, size_t local_len,
                      struct vp_err *err);

#endif
