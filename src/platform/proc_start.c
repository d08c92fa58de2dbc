/* A process's start time (journal.h: vp_proc_starttime), which with its
 * pid names it across pid reuse: the journal's process entries, owners,
 * the cgroup module's "is this task alive" (a zombie is not). Its own file:
 * tests/guest/cgroup_v2.c links the cgroup module without the journal. */
#include <stdio.h>
#include <string.h>

#include "platform/journal.h"

unsigned long long vp_proc_starttime(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    if (!p)
        return 0;
    unsigned long long start = 0;
    /* after ") " come fields 3..; starttime is field 22 */
    if (sscanf(p + 2,
               "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d "
               "%*d %llu",
               &start) != 1)
        return 0;
    if (p[2] == 'Z') /* a zombie is gone for our purposes */
        return 0;
    return start;
}
