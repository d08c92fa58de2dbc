#include "core/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int vp_input_error(struct vp_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->kind = VP_ERR_INPUT;
    return -EINVAL;
}

int vp_run_error(struct vp_err *err, int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    if (errnum != 0 && n >= 0 && (size_t)n < sizeof err->msg)
        snprintf(err->msg + n, sizeof err->msg - (size_t)n, ": %s", strerror(errnum));
    err->kind = VP_ERR_RUN;
    return errnum != 0 ? -errnum : -EIO;
}

void vp_err_prefix(struct vp_err *err, const char *fmt, ...)
{
    char prefix[256];
    char old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
}

int vp_err_report(const struct vp_err *err)
{
    fprintf(stderr, "virtperf: %s\n", err->msg[0] ? err->msg : "unknown error");
    return err->kind == VP_ERR_INPUT ? VP_EXIT_USAGE : VP_EXIT_FAILED;
}
