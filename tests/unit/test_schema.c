/* The store's migrations are append-only: a store made by an older virtperf
 * has run the first N of them (PRAGMA user_version = N) and is brought up to
 * date by the rest, so a migration that changed after it was committed would
 * leave such stores without what it adds. Each one's SHA-256 is pinned here,
 * in order; a new migration appends its line (and nothing above changes).
 * And a store left at an older version is migrated when it is opened. */
#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "store/schema.h"
#include "store/store.h"

static const char *const released[] = {
    "e550b1f8faf427358842cdb5e29a67eda250e1e5c2c527124340c6bc04c9bdcc", /* 0 -> 1 runs, rounds */
    "f0fe04f87f64a13365a87614e03410e9d719bb219e5e43e8d5ea74bd0e329e5f", /* 1 -> 2 */
    "dface0493cf51737dfe527675d8a7152b044e43ff7d8238f7a23ddecf45bc09c", /* 2 -> 3 */
    "5afb9925ef8c563df929392801cd5d93edf135e895a0d8d7b39fefe483d94523", /* 3 -> 4 */
    "bb6ab2e01da1d1d983afa3a920c06b8c114e1a9890218ce35c3eebb877800079", /* 4 -> 5 */
    "fa7584e2b195ae1a9a254b6ec7da3c7e5672c4651e17204a2ee61f39b15f4aa9", /* 5 -> 6 */
    "b787a42b6d387131b7da9c10cfc5c2872a8e25d7328bd94799d50db211b40e6b", /* 6 -> 7 */
    "c484356f18e81be2095fa2d8b2fbf8bea79e9bad74810c4629c9136acaf00607", /* 7 -> 8 */
    "ed11d637fa44ca3e9b2f40e1676d35761f334754ffd8e08751c6da58e9894430", /* 8 -> 9 platform */
    "c582edaeaa8535d76519d8fce66faec52664a618aa99f41e1af2f8f008c20d4c", /* 9 -> 10 control_s */
    "e2e810a64e6a9aad0abbedf0068623550f2017b29f84e202f29c437f81c80cd5", /* 10 -> 11 udp runs */
    "555c4b02aea5fe169645cdb82e0c6aaa2dea75f6c2224cd0848c2e21ff028bd5", /* 11 -> 12 router runs */
    "487ab2727123302c3b682a10f43b407b6eeeda8f288b9f37df093907d2e765af", /* 12 -> 13 tcp_runs */
    "b8c5a13cf7c94472a905f8f6f1a18365c923baf97642185c20fa1cf8e60fe4ff", /* 13 -> 14 router platform
                                                                         */
};
#define NRELEASED ((int)(sizeof released / sizeof released[0]))

static void test_pinned(void)
{
    CHECK(sodium_init() >= 0);
    CHECK(vp_schema_version() >= NRELEASED); /* none was taken away */
    for (int i = 0; i < NRELEASED && i < vp_schema_version(); i++) {
        const char *m = vp_schema_migration(i);
        unsigned char h[crypto_hash_sha256_BYTES];
        char hex[2 * crypto_hash_sha256_BYTES + 1];
        crypto_hash_sha256(h, (const unsigned char *)m, strlen(m));
        sodium_bin2hex(hex, sizeof hex, h, sizeof h);
        if (strcmp(hex, released[i]) != 0)
            fprintf(stderr, "  migration %d -> %d changed after its release: add a new one\n", i,
                    i + 1);
        CHECK(strcmp(hex, released[i]) == 0);
    }
    if (vp_schema_version() > NRELEASED)
        fprintf(stderr, "  migrations past %d are not pinned yet: add their lines\n", NRELEASED);
    CHECK_INT(vp_schema_version(), NRELEASED);
}

/* A store at version N-1 (the last migration not run) is migrated on open. */
static void test_upgrade(void)
{
    char path[] = "/tmp/vp-schema-test.XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    sqlite3 *db;
    CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
    for (int i = 0; i < vp_schema_version() - 1; i++)
        CHECK_INT(sqlite3_exec(db, vp_schema_migration(i), NULL, NULL, NULL), SQLITE_OK);
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", vp_schema_version() - 1);
    CHECK_INT(sqlite3_exec(db, pragma, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    struct vp_store *st = NULL;
    struct vp_err err = {0};
    CHECK_INT(vp_store_open(path, &st, &err), 0);
    sqlite3_stmt *q;
    CHECK_INT(sqlite3_prepare_v2(vp_store_db(st), "PRAGMA user_version", -1, &q, NULL), SQLITE_OK);
    CHECK_INT(sqlite3_step(q), SQLITE_ROW);
    CHECK_INT(sqlite3_column_int(q, 0), vp_schema_version());
    sqlite3_finalize(q);
    /* what the last migration adds is there */
    CHECK_INT(
        sqlite3_exec(vp_store_db(st), "SELECT direction FROM udp_intervals", NULL, NULL, NULL),
        SQLITE_OK);
    CHECK_INT(sqlite3_exec(vp_store_db(st),
                           "SELECT count(*) FROM tcp_runs, tcp_streams, tcp_intervals;"
                           "INSERT INTO point_loads SELECT * FROM point_loads WHERE 0",
                           NULL, NULL, NULL),
              SQLITE_OK);
    vp_store_close(st);
    unlink(path);
    char side[sizeof path + 8];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

int main(void)
{
    RUN(test_pinned);
    RUN(test_upgrade);
    return CHECK_DONE();
}
