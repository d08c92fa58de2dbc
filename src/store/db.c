#include "store/db.h"

#include <math.h>
#include <string.h>

bool vp_db_is_url(const char *target)
{
    return strncmp(target, "postgresql://", 13) == 0 || strncmp(target, "postgres://", 11) == 0;
}

int vp_db_open(const char *target, struct vp_db **db, char *msg, size_t len)
{
    const struct vp_db_ops *ops = vp_db_is_url(target) ? &vp_db_pg_ops : &vp_db_sqlite_ops;
    *db = NULL;
    return ops->open(target, db, msg, len);
}

void vp_db_close(struct vp_db *db)
{
    if (db)
        db->ops->close(db);
}

const char *vp_db_engine(const struct vp_db *db)
{
    return db->ops->name;
}

const char *vp_db_errmsg(struct vp_db *db)
{
    return db->ops->errmsg(db);
}

int vp_db_exec(struct vp_db *db, const char *sql)
{
    return db->ops->exec(db, sql);
}

int vp_db_begin(struct vp_db *db)
{
    return db->ops->begin(db);
}

int vp_db_commit(struct vp_db *db)
{
    return db->ops->exec(db, "COMMIT");
}

void vp_db_rollback(struct vp_db *db)
{
    db->ops->exec(db, "ROLLBACK");
}

int64_t vp_db_last_insert_id(struct vp_db *db)
{
    return db->ops->last_insert_id(db);
}

int vp_db_prepare(struct vp_db *db, const char *sql, struct vp_stmt **s)
{
    *s = NULL;
    return db->ops->prepare(db, sql, s);
}

int vp_db_bind_int64(struct vp_stmt *s, int i, int64_t v)
{
    return s->db->ops->bind_int64(s, i, v);
}

int vp_db_bind_int(struct vp_stmt *s, int i, int v)
{
    return s->db->ops->bind_int64(s, i, v);
}

int vp_db_bind_double(struct vp_stmt *s, int i, double v)
{
    return isnan(v) ? s->db->ops->bind_null(s, i) : s->db->ops->bind_double(s, i, v);
}

int vp_db_bind_text(struct vp_stmt *s, int i, const char *v)
{
    return v ? s->db->ops->bind_text(s, i, v) : s->db->ops->bind_null(s, i);
}

int vp_db_bind_null(struct vp_stmt *s, int i)
{
    return s->db->ops->bind_null(s, i);
}

int vp_db_param_count(struct vp_stmt *s)
{
    return s->db->ops->param_count(s);
}

int vp_db_step(struct vp_stmt *s)
{
    return s->db->ops->step(s);
}

void vp_db_reset(struct vp_stmt *s)
{
    s->db->ops->reset(s);
}

void vp_db_clear_bindings(struct vp_stmt *s)
{
    s->db->ops->clear_bindings(s);
}

void vp_db_finalize(struct vp_stmt *s)
{
    if (s)
        s->db->ops->finalize(s);
}

bool vp_db_column_is_null(struct vp_stmt *s, int i)
{
    return s->db->ops->column_is_null(s, i);
}

int64_t vp_db_column_int64(struct vp_stmt *s, int i)
{
    return s->db->ops->column_int64(s, i);
}

int vp_db_column_int(struct vp_stmt *s, int i)
{
    return (int)s->db->ops->column_int64(s, i);
}

double vp_db_column_double(struct vp_stmt *s, int i)
{
    return s->db->ops->column_double(s, i);
}

const char *vp_db_column_text(struct vp_stmt *s, int i)
{
    return s->db->ops->column_text(s, i);
}

int vp_db_schema_version(struct vp_db *db, int *version)
{
    return db->ops->schema_version(db, version);
}

int vp_db_migrate(struct vp_db *db, int from, int to)
{
    return db->ops->migrate(db, from, to);
}

int vp_db_migrated(struct vp_db *db)
{
    return db->ops->migrated(db);
}
