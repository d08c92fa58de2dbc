/* The SIP test corpus (tests/data/sip): valid/NN_name.sip and broken/<cause>_NN.sip,
 * read into exactly-sized heap buffers so the sanitizers catch overreads. */
#ifndef VP_TESTS_SIP_CORPUS_H
#define VP_TESTS_SIP_CORPUS_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct corpus_file {
    char name[256];
    char *data;
    size_t len;
    int valid;
};

static int corpus_cmp(const void *a, const void *b)
{
    return strcmp(((const struct corpus_file *)a)->name, ((const struct corpus_file *)b)->name);
}

/* Load dir/valid and dir/broken; returns the count (files in *out). */
static int corpus_load(const char *dir, struct corpus_file **out)
{
    static const char *const sub[2] = {"broken", "valid"};
    struct corpus_file *v = NULL;
    int n = 0;
    for (int k = 0; k < 2; k++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, sub[k]);
        DIR *d = opendir(path);
        if (d == NULL)
            continue;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strstr(e->d_name, ".sip") == NULL)
                continue;
            char fp[1400];
            snprintf(fp, sizeof fp, "%s/%s", path, e->d_name);
            FILE *f = fopen(fp, "rb");
            if (f == NULL)
                continue;
            char tmp[65536];
            size_t len = fread(tmp, 1, sizeof tmp, f);
            fclose(f);
            v = realloc(v, (size_t)(n + 1) * sizeof *v);
            struct corpus_file *c = &v[n++];
            snprintf(c->name, sizeof c->name, "%s", e->d_name);
            c->data = malloc(len ? len : 1);
            memcpy(c->data, tmp, len);
            c->len = len;
            c->valid = k;
        }
        closedir(d);
    }
    qsort(v, (size_t)n, sizeof *v, corpus_cmp);
    *out = v;
    return n;
}

static void corpus_free(struct corpus_file *v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i].data);
    free(v);
}

#endif
