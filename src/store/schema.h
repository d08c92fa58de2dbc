/* The store's schema as an ordered list of migrations; PRAGMA user_version
 * holds how many have been applied. */
#ifndef VP_STORE_SCHEMA_H
#define VP_STORE_SCHEMA_H

int vp_schema_version(void);
/* SQL taking the schema from version `from` to from+1, or NULL. */
const char *vp_schema_migration(int from);

#endif
