#include "rtp/addr.h"

#include <netdb.h>
#include <stdio.h>
#include <string.h>

int vp_parse_hostport(const char *what, const char *text, struct sockaddr_storage *ss,
                      socklen_t *len, struct vp_err *err)
{
    char host[256];
    const char *colon = strrchr(text, ':');
    if (colon == NULL || colon == text || colon[1] == '\0')
        return vp_input_error(err, "--%s: expected HOST:PORT, got \"%s\"", what, text);
    size_t hl = (size_t)(colon - text);
    if (text[0] == '[' && hl >= 2 && text[hl - 1] == ']') {
        text++;
        hl -= 2;
    }
    if (hl >= sizeof host)
        return vp_input_error(err, "--%s: host too long in \"%s\"", what, text);
    memcpy(host, text, hl);
    host[hl] = '\0';
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_DGRAM,
                             .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    int rc = getaddrinfo(host, colon + 1, &hints, &ai);
    if (rc != 0)
        return vp_input_error(err, "--%s: \"%s\" is not a numeric HOST:PORT (%s)", what, text,
                              gai_strerror(rc));
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *len = ai->ai_addrlen;
    freeaddrinfo(ai);
    return 0;
}
