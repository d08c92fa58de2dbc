/* Clocks. Elapsed times inside one process come from CLOCK_MONOTONIC. */
#ifndef VP_CORE_CLOCK_H
#define VP_CORE_CLOCK_H

#include <stdint.h>

uint64_t vp_now_ns(void);      /* CLOCK_MONOTONIC */
uint64_t vp_wall_ns(void);     /* CLOCK_REALTIME, for timestamps people read */
uint64_t vp_cpu_self_ns(void); /* CPU time of this process, user + system */

/* Sleep for ns, returning early (with -EINTR) when the run is interrupted. */
int vp_sleep_ns(uint64_t ns);

#endif
