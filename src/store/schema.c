#include "store/schema.h"

#include <stddef.h>

/* Migration i takes the schema from version i to i+1. Append only: a
 * released migration is never edited. */
static const char *const migrations[] = {
    /* 0 → 1: runs, their rounds, the metrics each round reports */
    "CREATE TABLE runs ("
    "  id INTEGER PRIMARY KEY,"
    "  kind TEXT NOT NULL,"
    "  subject TEXT NOT NULL,"
    "  command TEXT NOT NULL,"
    "  params TEXT NOT NULL,"
    "  host TEXT NOT NULL,"
    "  version TEXT NOT NULL,"
    "  rounds_planned INTEGER NOT NULL,"
    "  warmup_planned INTEGER NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN"
    "    ('running', 'complete', 'failed', 'interrupted', 'incomplete')),"
    "  error TEXT,"
    "  owner TEXT NOT NULL," /* boot id:pid:start time of the writing process */
    "  started_at TEXT NOT NULL,"
    "  finished_at TEXT"
    ");"
    "CREATE TABLE rounds ("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  round INTEGER NOT NULL,"
    "  warmup INTEGER NOT NULL,"
    "  elapsed_s REAL NOT NULL,"
    "  finished_at TEXT NOT NULL,"
    "  PRIMARY KEY (run_id, round)"
    ");"
    "CREATE TABLE metric_defs ("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  position INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  unit TEXT NOT NULL,"
    "  average TEXT NOT NULL CHECK (average IN ('arithmetic', 'harmonic')),"
    "  higher_is_better INTEGER NOT NULL,"
    "  PRIMARY KEY (run_id, name)"
    ");"
    "CREATE TABLE metrics ("
    "  run_id INTEGER NOT NULL,"
    "  round INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  value REAL,"
    "  PRIMARY KEY (run_id, round, name),"
    "  FOREIGN KEY (run_id, round) REFERENCES rounds(run_id, round) ON DELETE CASCADE"
    ");",
};

int vp_schema_version(void)
{
    return (int)(sizeof migrations / sizeof migrations[0]);
}

const char *vp_schema_migration(int from)
{
    return from >= 0 && from < vp_schema_version() ? migrations[from] : NULL;
}
