/* The store's SQL as PostgreSQL takes it. The schema is written for SQLite
 * (store/schema.c) and carried over: a new PostgreSQL store is made at once
 * at the current version from the tables SQLite's own migrations end with
 * (a migration that remakes a table has no PostgreSQL form), later
 * migrations are applied with their types translated. */
#ifndef VP_STORE_SCHEMA_PG_H
#define VP_STORE_SCHEMA_PG_H

#include <stddef.h>

/* sql with SQLite's parameters (?N, ?) numbered as PostgreSQL's ($N);
 * *nparams = the highest number. Malloc'd; NULL when out of memory. */
char *vp_schema_pg_statement(const char *sql, int *nparams);

/* SQLite DDL with PostgreSQL's types: INTEGER PRIMARY KEY (a rowid) is an
 * identity column, INTEGER is BIGINT (SQLite's are 64-bit), REAL is DOUBLE
 * PRECISION; a column name PostgreSQL reserves is quoted. Malloc'd. */
char *vp_schema_pg_ddl(const char *ddl);

/* The whole schema at version, as PostgreSQL DDL: its tables (each after
 * those it references), its indexes and the functions of SQLite's the
 * queries use (julianday). Malloc'd; NULL with msg on failure. */
char *vp_schema_pg_create(int version, char *msg, size_t len);

#endif
