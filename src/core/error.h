/* Errors that carry a message for the user and say whose fault they are.
 *
 * Functions return 0 or a negative errno-style code and fill a struct vp_err.
 * An input error (bad option, bad file, impossible size) exits 2; a run error
 * (verification failed, disk full, peer gone) exits 1. */
#ifndef VP_CORE_ERROR_H
#define VP_CORE_ERROR_H

enum vp_exit { VP_EXIT_OK = 0, VP_EXIT_FAILED = 1, VP_EXIT_USAGE = 2 };

enum vp_err_kind { VP_ERR_NONE, VP_ERR_INPUT, VP_ERR_RUN };

struct vp_err {
    enum vp_err_kind kind;
    char msg[512];
};

/* Record an input error; returns -EINVAL. */
int vp_input_error(struct vp_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Record a run error caused by errno value errnum (0 for none); returns
 * -errnum, or -EIO when errnum is 0. When errnum is set, ": strerror" is appended. */
int vp_run_error(struct vp_err *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix the message already in err with "prefix: ". */
void vp_err_prefix(struct vp_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print "virtperf: message" on stderr and return the exit status it deserves. */
int vp_err_report(const struct vp_err *err);

#endif
