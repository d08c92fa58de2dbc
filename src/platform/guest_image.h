/* What a VM appliance boots, and with which accelerator.
 *
 * The image (a Debian kernel and an initramfs with busybox, the virtio
 * modules and virtperf-guest) is built by scripts/guest-image from Debian
 * packages and cached under ~/.cache/virtperf/guest/<key of its inputs>;
 * the first VM builds it, later ones find it.
 *
 * The accelerator: tcg always works; kvm only where /dev/kvm really runs
 * a guest (on some hosts it exists in a paravirtual nested mode in which
 * stock guest kernels hang). So "auto" and "kvm" boot the image once under
 * KVM and watch for the guest's ready line; the verdict is cached per
 * image, QEMU binary and host boot. */
#ifndef VP_PLATFORM_GUEST_IMAGE_H
#define VP_PLATFORM_GUEST_IMAGE_H

#include <limits.h>
#include <stdbool.h>

#include "core/error.h"

#define VP_QEMU "qemu-system-x86_64"

struct vp_guest_image {
    char dir[PATH_MAX];
    char kernel[PATH_MAX + 16];
    char initrd[PATH_MAX + 16];
};

/* NULL when a VM can be made here, else what is missing (QEMU, the guest
 * agent binary, the image script or its inputs). */
const char *vp_guest_image_missing(void);

/* Find the cached image or build it. */
int vp_guest_image_get(struct vp_guest_image *img, struct vp_err *err);

enum vp_accel { VP_ACCEL_AUTO, VP_ACCEL_KVM, VP_ACCEL_TCG };
extern const char *const vp_accel_names[]; /* "auto", "kvm", "tcg", NULL */

/* The accelerator a VM of this image gets for what was asked: auto is kvm
 * when it works, else tcg; kvm that does not work is an input error naming
 * why. */
int vp_accel_resolve(const struct vp_guest_image *img, enum vp_accel asked, enum vp_accel *used,
                     struct vp_err *err);

/* QEMU's -accel argument for it. */
const char *vp_accel_qemu_arg(enum vp_accel a);

#endif
