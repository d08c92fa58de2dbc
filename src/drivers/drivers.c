/* The table of load drivers, and a load's figures asked of its driver. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/driver.h"

extern const struct vp_driver vp_driver_sip_uac, vp_driver_sip_capacity, vp_driver_rtp;
extern const struct vp_driver vp_driver_udp;
extern const struct vp_driver vp_driver_tcp;
extern const struct vp_driver vp_driver_router;

/* Every driver, in the order `load: driver "x": unknown` lists them. */
const struct vp_driver *const vp_drivers[] = {
    &vp_driver_sip_uac, &vp_driver_sip_capacity, &vp_driver_rtp, &vp_driver_udp,
    &vp_driver_tcp,     &vp_driver_router,       NULL,
};

const struct vp_driver *vp_driver_find(const char *name)
{
    for (int i = 0; vp_drivers[i]; i++)
        if (strcmp(vp_drivers[i]->name, name) == 0)
            return vp_drivers[i];
    return NULL;
}

void vp_load_figures_free(struct vp_load_figures *f)
{
    free(f->own);
    f->own = NULL;
}

int vp_load_figures(struct vp_store *st, const struct vp_load_row *row, struct vp_load_figures *f,
                    struct vp_err *err)
{
    memset(f, 0, sizeof *f);
    f->driver = vp_driver_find(row->driver);
    snprintf(f->status, sizeof f->status, "failed");
    if (row->run_id <= 0)
        return 0;
    if (f->driver == NULL)
        return vp_run_error(err, 0, "load %s: unknown driver '%s'", row->load, row->driver);
    if ((f->own = calloc(1, f->driver->figures_size)) == NULL)
        return vp_run_error(err, ENOMEM, "load %s", row->load);
    int rc = f->driver->summarise(st, row->run_id, f, err);
    if (rc != 0) {
        vp_load_figures_free(f);
        f->generator_limited = false;
    }
    if (rc == 1) { /* the row names a run that is no longer stored */
        snprintf(f->status, sizeof f->status, "missing");
        rc = 0;
    }
    return rc;
}
