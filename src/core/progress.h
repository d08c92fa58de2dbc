/* A live progress line on stderr for people; callers pass whether it is
 * enabled (stderr is a terminal and output is not for a program). */
#ifndef VP_CORE_PROGRESS_H
#define VP_CORE_PROGRESS_H

#include <stdbool.h>

/* True when stderr is a terminal. */
bool vp_progress_wanted(void);
void vp_progress(bool enabled, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vp_progress_clear(bool enabled);

#endif
