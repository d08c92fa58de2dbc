/* hosts: the machines of an experiment besides this one (issue 17):
 *
 *   hosts:
 *     target: {ssh: root@10.0.0.2:22, identity: ~/.ssh/id_virtperf}
 *     load: {ssh: load.lab}
 *
 * Each is reached by the system's OpenSSH client (guest/ssh.h); the runner
 * writes what is declared here into an SSH configuration of the run's
 * (Host NAME, HostName, User, Port, IdentityFile), ahead of the user's own.
 * An appliance's host: names one of them, or "local" (this machine); so may
 * the timeserver setting (NAME:PORT): the time host, where the runner starts
 * the time server. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/path.h"
#include "experiment/parse_priv.h"

/* A name, a user or an address: no space, quote, backslash, nothing an SSH
 * option or a shell would read as its own. */
static bool plain(const char *s, size_t max)
{
    return s[0] != '\0' && s[0] != '-' && strlen(s) < max && strpbrk(s, " \t\n'\"\\;#$`") == NULL;
}

/* "[user@]address[:port]" (an IPv6 address in brackets) into h. */
static bool take_destination(const char *text, struct vp_exp_host *h)
{
    const char *at = strchr(text, '@'), *addr = at ? at + 1 : text;
    if (at && (size_t)(at - text) >= sizeof h->user)
        return false;
    snprintf(h->user, sizeof h->user, "%.*s", at ? (int)(at - text) : 0, text);
    if (at && !plain(h->user, sizeof h->user))
        return false;
    const char *end = addr + strlen(addr), *colon = NULL;
    if (addr[0] == '[') { /* [v6]:port */
        const char *close = strchr(addr, ']');
        if (close == NULL || (close[1] != '\0' && close[1] != ':'))
            return false;
        colon = close[1] == ':' ? close + 1 : NULL;
        snprintf(h->address, sizeof h->address, "%.*s", (int)(close - addr - 1), addr + 1);
    } else {
        colon = strchr(addr, ':');
        if (colon && strchr(colon + 1, ':'))
            return false; /* a bare IPv6 address: brackets say where the port is */
        snprintf(h->address, sizeof h->address, "%.*s", (int)((colon ? colon : end) - addr), addr);
    }
    if (!plain(h->address, sizeof h->address) || strchr(h->address, '@'))
        return false;
    h->port = 0;
    if (colon) {
        char *rest;
        long port = strtol(colon + 1, &rest, 10);
        if (colon[1] == '\0' || *rest != '\0' || port < 1 || port > 65535)
            return false;
        h->port = (int)port;
    }
    return true;
}

static int parse_host(struct parse *p, yaml_node_t *k, yaml_node_t *v, struct vp_exp_host *h)
{
    const char *name = vp_parse_scalar(k);
    int rc;
    if (!vp_parse_valid_name(name) || strcmp(name, "local") == 0)
        return vp_parse_at(p, k,
                           "host \"%s\": a name of 1..40 letters, digits, - and _ (not "
                           "\"local\", this machine)",
                           name);
    snprintf(h->name, sizeof h->name, "%s", name);
    if (v->type != YAML_MAPPING_NODE)
        return vp_parse_at(p, v, "host %s: expected {ssh: [user@]address[:port], identity: FILE}",
                           name);
    if ((rc = vp_parse_no_duplicates(p, v)) < 0)
        return rc;
    bool have_ssh = false;
    for (yaml_node_pair_t *pr = v->data.mapping.pairs.start; pr < v->data.mapping.pairs.top; pr++) {
        yaml_node_t *key = vp_parse_node(p, pr->key), *val = vp_parse_node(p, pr->value);
        if ((rc = vp_parse_want_scalar(p, key, "key")) < 0 ||
            (rc = vp_parse_want_scalar(p, val, vp_parse_scalar(key))) < 0)
            return rc;
        const char *what = vp_parse_scalar(key), *text = vp_parse_scalar(val);
        if (strcmp(what, "ssh") == 0) {
            if (!take_destination(text, h))
                return vp_parse_at(p, val, "host %s: ssh \"%s\": want [user@]address[:port]", name,
                                   text);
            have_ssh = true;
        } else if (strcmp(what, "identity") == 0) {
            char path[VP_STR_MAX];
            const char *home = getenv("HOME");
            if (strncmp(text, "~/", 2) == 0 && home)
                snprintf(path, sizeof path, "%s/%s", home, text + 2);
            else
                snprintf(path, sizeof path, "%s", text);
            if (!plain(path, sizeof path) ||
                vp_path_absolute(path, h->identity, sizeof h->identity) < 0)
                return vp_parse_at(p, val, "host %s: identity \"%s\": not a usable path", name,
                                   text);
            if (access(h->identity, R_OK) != 0)
                return vp_parse_at(p, val, "host %s: identity %s: %s", name, h->identity,
                                   strerror(errno));
        } else {
            return vp_parse_at(p, key, "host %s: unknown key \"%s\" (ssh, identity)", name, what);
        }
    }
    return have_ssh ? 0 : vp_parse_at(p, v, "host %s: no ssh: [user@]address[:port]", name);
}

int vp_parse_hosts(struct parse *p, yaml_node_t *v)
{
    if (v->type != YAML_MAPPING_NODE)
        return vp_parse_at(p, v, "hosts: expected a mapping of names to {ssh: ...}, got %s",
                           vp_parse_kind_name(v));
    int rc = vp_parse_no_duplicates(p, v);
    for (yaml_node_pair_t *pr = v->data.mapping.pairs.start;
         rc == 0 && pr < v->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = vp_parse_node(p, pr->key), *val = vp_parse_node(p, pr->value);
        if ((rc = vp_parse_want_scalar(p, k, "key")) < 0)
            break;
        if (p->exp->nhosts == VP_EXP_MAX_HOSTS)
            return vp_parse_at(p, k, "hosts: more than %d", VP_EXP_MAX_HOSTS);
        rc = parse_host(p, k, val, &p->exp->hosts[p->exp->nhosts++]);
    }
    return rc;
}

int vp_exp_check_host(const struct vp_experiment *e, const char *host, struct vp_err *err)
{
    if (host[0] == '\0' || strcmp(host, "local") == 0)
        return 0;
    if (e->nhosts == 0) /* an SSH destination, checked by the host platform */
        return 0;
    char names[512];
    size_t n = 0;
    names[0] = '\0';
    for (int i = 0; i < e->nhosts; i++) {
        if (strcmp(e->hosts[i].name, host) == 0)
            return 0;
        n += (size_t)snprintf(names + n, n < sizeof names ? sizeof names - n : 0, "%s, ",
                              e->hosts[i].name);
    }
    return vp_input_error(err, "host \"%s\": not one of hosts: (%slocal)", host, names);
}

int vp_parse_time_host(struct parse *p, yaml_node_t *root)
{
    struct vp_experiment *e = p->exp;
    const char *colon = strrchr(e->s.timeserver, ':');
    for (int i = 0; colon && i < e->nhosts; i++) {
        const struct vp_exp_host *h = &e->hosts[i];
        if (strlen(h->name) != (size_t)(colon - e->s.timeserver) ||
            strncmp(h->name, e->s.timeserver, strlen(h->name)) != 0)
            continue;
        int port = atoi(colon + 1);
        if (port < 1 || port > 65535)
            return vp_parse_at(p, root,
                               "timeserver %s: a time server started on host %s needs a port",
                               e->s.timeserver, h->name);
        snprintf(e->time_host, sizeof e->time_host, "%s", h->name);
        snprintf(e->s.timeserver, sizeof e->s.timeserver,
                 strchr(h->address, ':') ? "[%s]:%d" : "%s:%d", h->address, port);
        return 0;
    }
    return 0;
}
