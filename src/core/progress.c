#include "core/progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

bool vp_progress_wanted(void)
{
    return isatty(STDERR_FILENO) == 1;
}

void vp_progress(bool enabled, const char *fmt, ...)
{
    if (!enabled)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("\r\033[K", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fflush(stderr);
}

void vp_progress_clear(bool enabled)
{
    if (enabled)
        fputs("\r\033[K", stderr);
}
