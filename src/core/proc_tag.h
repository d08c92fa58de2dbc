/* The processes of an appliance on another host, found by the tag its
 * agents carry (`virtperf agent --stdio --tag TAG`, guest/ssh.h): those
 * agents and everything running under them, read from this host's /proc. */
#ifndef VP_CORE_PROC_TAG_H
#define VP_CORE_PROC_TAG_H

/* CPU seconds of the tagged agents and their descendants: each process's
 * own time and its reaped children's (commands that ended), so what runs
 * now with all it has done; *agents = the tagged agents found. A session
 * that ended takes its count with it. 0, or -ENOMEM. */
int vp_proc_tag_cpu(const char *tag, double *user_s, double *system_s, int *agents);

#endif
