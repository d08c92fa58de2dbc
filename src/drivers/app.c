/* The app role's options and command line: see app.h. */
#include "drivers/app.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

const char *const vp_app_serves[] = {"sip-server", "media-server", "udp-sink", "tcp-sink", NULL};
const char *const vp_app_signals[] = {"TERM", "INT", NULL};
static const char *const ready_names[] = {"auto", "tcp", "sip", "log", NULL};

const struct vp_opt vp_app_opt_table[] = {
    {"command", VP_OPT_STRING, offsetof(struct vp_app_opts, command), NULL, 0, 0, NULL,
     "the command and its arguments, split at spaces; {address} and {port} are where it must "
     "listen, {dir} the experiment file's folder",
     false},
    {"serves", VP_OPT_ENUM, offsetof(struct vp_app_opts, serves), "sip-server", 0, 0, vp_app_serves,
     "the role it stands in for: the loads that drive that role drive it", false},
    {"port", VP_OPT_INT, offsetof(struct vp_app_opts, port), "0", 0, 65535, NULL,
     "the port it listens on (0: a free one, given as {port})", false},
    {"ready", VP_OPT_ENUM, offsetof(struct vp_app_opts, ready), "auto", 0, 0, ready_names,
     "when it is ready: tcp (a connection accepted), sip (an OPTIONS answered), log (ready-text "
     "printed); auto: sip for a sip-server, tcp for a tcp-sink",
     false},
    {"ready-text", VP_OPT_STRING, offsetof(struct vp_app_opts, ready_text), NULL, 0, 0, NULL,
     "ready log: the text of the line that says it is ready", false},
    {"ready-timeout", VP_OPT_DURATION, offsetof(struct vp_app_opts, ready_timeout), "30s", 1e8,
     3600e9, NULL, "how long it may take to be ready", false},
    {"stop-signal", VP_OPT_ENUM, offsetof(struct vp_app_opts, stop_signal), "TERM", 0, 0,
     vp_app_signals, "the signal that stops it at the end of a point", false},
    VP_OPT_END,
};

int vp_app_signal(const struct vp_app_opts *o)
{
    return o->stop_signal == 1 ? SIGINT : SIGTERM;
}

enum vp_app_ready vp_app_ready_method(const struct vp_app_opts *o)
{
    if (o->ready != VP_APP_READY_AUTO)
        return (enum vp_app_ready)o->ready;
    if (strcmp(vp_app_serves[o->serves], "sip-server") == 0)
        return VP_APP_READY_SIP;
    if (strcmp(vp_app_serves[o->serves], "tcp-sink") == 0)
        return VP_APP_READY_TCP;
    return VP_APP_READY_AUTO;
}

/* Append word w[0..n) to buf at *used with {...} replaced. */
static int expand(const char *w, size_t n, const char *address, const char *port, const char *dir,
                  char *buf, size_t len, size_t *used, struct vp_err *err)
{
    static const char *const names[] = {"{address}", "{port}", "{dir}"};
    const char *values[] = {address, port, dir};
    for (size_t i = 0; i < n;) {
        const char *add = &w[i];
        size_t take = 1;
        if (w[i] == '{') {
            size_t k = 0;
            while (k < 3 &&
                   (strlen(names[k]) > n - i || strncmp(&w[i], names[k], strlen(names[k]))))
                k++;
            if (k == 3)
                return vp_input_error(err,
                                      "command: \"%.*s\": only {address}, {port} and {dir} "
                                      "are replaced",
                                      (int)(n - i), &w[i]);
            add = values[k];
            take = strlen(add);
            i += strlen(names[k]);
        } else {
            i++;
        }
        if (*used + take + 1 > len)
            return vp_input_error(err, "command: longer than %zu characters once expanded", len);
        memcpy(buf + *used, add, take);
        *used += take;
    }
    buf[(*used)++] = '\0';
    return 0;
}

int vp_app_argv(const struct vp_app_opts *o, const char *address, int port, const char *dir,
                char *buf, size_t len, char **argv, int max, struct vp_err *err)
{
    char port_s[16];
    snprintf(port_s, sizeof port_s, "%d", port);
    size_t used = 0;
    int n = 0;
    for (const char *p = o->command; *p;) {
        p += strspn(p, " \t");
        size_t w = strcspn(p, " \t");
        if (w == 0)
            break;
        if (n == max - 1)
            return vp_input_error(err, "command: more than %d words", max - 1);
        size_t start = used;
        int rc = expand(p, w, address, port_s, dir, buf, len, &used, err);
        if (rc < 0)
            return rc;
        argv[n++] = buf + start;
        p += w;
    }
    if (n == 0)
        return vp_input_error(err, "command: empty (an app runs a command)");
    argv[n] = NULL;
    return n;
}

/* No option is the runner's: the command says where it listens. */
const struct vp_server vp_server_app = {
    .name = "app",
    .command = NULL,
    .options = {vp_app_opt_table, sizeof(struct vp_app_opts)},
    .reserved = NULL,
};
