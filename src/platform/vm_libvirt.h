/* What the journal needs of the libvirt platform: removing a domain a
 * killed run left ("URI NAME"). 1 removed (or would be), 0 gone, -errno. */
#ifndef VP_PLATFORM_VM_LIBVIRT_H
#define VP_PLATFORM_VM_LIBVIRT_H

#include <stdbool.h>

int vp_libvirt_domain_remove(const char *what, bool dry_run);

#endif
