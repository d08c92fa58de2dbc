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
    /* experiments (issue 4): an experiment file's run, its matrix points
     * (measured or idle-overhead ones) and the workload run of each
     * appliance of each point */
    "CREATE TABLE experiments ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  file TEXT NOT NULL,"
    "  spec TEXT NOT NULL," /* the file's text */
    "  host TEXT NOT NULL,"
    "  cpus_available INTEGER NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN"
    "    ('running', 'complete', 'failed', 'interrupted')),"
    "  error TEXT,"
    "  started_at TEXT NOT NULL,"
    "  finished_at TEXT"
    ");"
    "CREATE TABLE experiment_points ("
    "  experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,"
    "  point INTEGER NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('run', 'idle')),"
    "  params TEXT NOT NULL," /* JSON object: matrix key -> value */
    "  series TEXT NOT NULL," /* the params without the instance count */
    "  platform TEXT NOT NULL,"
    "  instances INTEGER NOT NULL,"
    "  cpus_available INTEGER NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN"
    "    ('running', 'complete', 'failed', 'interrupted')),"
    "  error TEXT,"
    "  host_cpu_pct REAL," /* idle points: host CPU busy, percent */
    "  host_cpu_ci95_half REAL,"
    "  host_cpu_samples INTEGER,"
    "  PRIMARY KEY (experiment_id, point)"
    ");"
    "CREATE TABLE point_runs ("
    "  experiment_id INTEGER NOT NULL,"
    "  point INTEGER NOT NULL,"
    "  appliance TEXT NOT NULL,"
    "  run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,"
    "  PRIMARY KEY (experiment_id, point, appliance),"
    "  FOREIGN KEY (experiment_id, point)"
    "    REFERENCES experiment_points(experiment_id, point) ON DELETE CASCADE"
    ");",
    /* rtp-client runs (issue 6): totals and self-check, per-stream figures,
     * per-interval counts, and delay/lateness histogram buckets (interval -1:
     * the whole run) from which percentiles and boxplots are recomputed */
    "CREATE TABLE rtp_runs ("
    "  id INTEGER PRIMARY KEY,"
    "  finished_at TEXT NOT NULL,"
    "  command TEXT NOT NULL,"
    "  params TEXT NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('complete', 'interrupted', 'server_silent')),"
    "  streams INTEGER NOT NULL,"
    "  ptime_ms REAL NOT NULL,"
    "  payload INTEGER NOT NULL,"
    "  duration_s REAL NOT NULL,"
    "  sent INTEGER NOT NULL,"
    "  received INTEGER NOT NULL,"
    "  lost INTEGER NOT NULL,"
    "  duplicates INTEGER NOT NULL,"
    "  reordered INTEGER NOT NULL,"
    "  rejected INTEGER NOT NULL,"
    "  rcvbuf_drops INTEGER NOT NULL,"
    "  send_errors INTEGER NOT NULL,"
    "  lateness_p50_us REAL NOT NULL,"
    "  lateness_p99_us REAL NOT NULL,"
    "  lateness_max_us REAL NOT NULL,"
    "  cpu_fraction REAL NOT NULL,"
    "  generator_late INTEGER NOT NULL,"
    "  silent_from_s REAL,"
    "  hist_relative_error REAL NOT NULL"
    ");"
    "CREATE TABLE rtp_streams ("
    "  run_id INTEGER NOT NULL REFERENCES rtp_runs(id) ON DELETE CASCADE,"
    "  stream INTEGER NOT NULL,"
    "  ssrc INTEGER NOT NULL,"
    "  sent INTEGER NOT NULL,"
    "  received INTEGER NOT NULL,"
    "  lost INTEGER NOT NULL,"
    "  lost_rfc3550 INTEGER NOT NULL,"
    "  duplicates INTEGER NOT NULL,"
    "  reordered INTEGER NOT NULL,"
    "  jitter_ms REAL NOT NULL,"
    "  jitter_max_ms REAL NOT NULL,"
    "  max_delta_ms REAL NOT NULL,"
    "  delay_min_ms REAL NOT NULL,"
    "  delay_mean_ms REAL NOT NULL,"
    "  delay_max_ms REAL NOT NULL,"
    "  PRIMARY KEY (run_id, stream)"
    ");"
    /* an interval's packets: those planned in it, and of those, received */
    "CREATE TABLE rtp_intervals ("
    "  run_id INTEGER NOT NULL REFERENCES rtp_runs(id) ON DELETE CASCADE,"
    "  interval INTEGER NOT NULL,"
    "  t_s REAL NOT NULL,"
    "  sent INTEGER NOT NULL,"
    "  received INTEGER NOT NULL,"
    "  PRIMARY KEY (run_id, interval)"
    ");"
    "CREATE TABLE rtp_delay_hist ("
    "  run_id INTEGER NOT NULL REFERENCES rtp_runs(id) ON DELETE CASCADE,"
    "  series TEXT NOT NULL CHECK (series IN ('delay', 'lateness')),"
    "  interval INTEGER NOT NULL,"
    "  lo_ns INTEGER NOT NULL,"
    "  hi_ns INTEGER NOT NULL,"
    "  count INTEGER NOT NULL,"
    "  PRIMARY KEY (run_id, series, interval, lo_ns)"
    ");",
    /* host profiler (issue 7): a profile, its samples in one narrow table
     * (counters as rates per second, gauges as read), marks on its timeline */
    "CREATE TABLE profiles ("
    "  id INTEGER PRIMARY KEY,"
    "  run_id INTEGER," /* the run profiled, when a runner started it */
    "  command TEXT NOT NULL,"
    "  interval_s REAL NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('running', 'complete')),"
    "  started_at TEXT NOT NULL,"
    "  finished_at TEXT,"
    "  samples INTEGER,"
    "  missed INTEGER,"
    "  cpu_s REAL," /* the sampler's own CPU time */
    "  elapsed_s REAL,"
    "  lateness_p50_s REAL,"
    "  lateness_p99_s REAL,"
    "  lateness_max_s REAL"
    ");"
    "CREATE TABLE profile_samples ("
    "  profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,"
    "  t_s REAL NOT NULL,"
    "  target TEXT NOT NULL,"
    "  metric TEXT NOT NULL,"
    "  value REAL NOT NULL"
    ");"
    "CREATE INDEX profile_samples_series ON profile_samples (profile_id, target, metric, t_s);"
    "CREATE TABLE profile_marks ("
    "  profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,"
    "  t_s REAL NOT NULL,"
    "  label TEXT NOT NULL"
    ");",
    /* external timekeeping (issue 3): a run's random token, each round's
     * internal and external elapsed (ratio = internal / external), and the
     * marks a time server accepted (first arrivals, its receive stamps) */
    "ALTER TABLE runs ADD COLUMN run_token TEXT;"
    "CREATE TABLE timing_rounds ("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  round INTEGER NOT NULL,"
    "  appliance TEXT NOT NULL,"
    "  start_server_ns INTEGER NOT NULL,"
    "  end_server_ns INTEGER NOT NULL,"
    "  internal_s REAL NOT NULL,"
    "  external_s REAL NOT NULL,"
    "  ratio REAL NOT NULL,"
    "  clock_distorted INTEGER NOT NULL,"
    "  copies INTEGER NOT NULL," /* datagrams sent for the two marks */
    "  PRIMARY KEY (run_id, round)"
    ");"
    "CREATE TABLE timing_marks ("
    "  run_token TEXT NOT NULL,"
    "  appliance TEXT NOT NULL,"
    "  round INTEGER NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('start', 'end', 'heartbeat')),"
    "  seq INTEGER NOT NULL,"
    "  sender_ns INTEGER NOT NULL,"
    "  server_ns INTEGER NOT NULL,"
    "  PRIMARY KEY (run_token, appliance, seq)"
    ");",
    /* SIP (issue 5): sip-uac runs and capacity searches, their intervals,
     * latency histogram buckets and search steps */
    "CREATE TABLE sip_runs ("
    "  id INTEGER PRIMARY KEY,"
    "  kind TEXT NOT NULL CHECK (kind IN ('uac', 'capacity')),"
    "  finished_at TEXT NOT NULL,"
    "  command TEXT NOT NULL,"
    "  params TEXT NOT NULL,"
    "  target TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  created INTEGER, successful INTEGER, failed_timeout INTEGER, failed_4xx INTEGER,"
    "  failed_5xx INTEGER, failed_6xx INTEGER, failed_unexpected INTEGER,"
    "  retransmissions INTEGER, malformed INTEGER, abandoned INTEGER,"
    "  inv100_p50_ms REAL, inv200_p50_ms REAL, inv200_p95_ms REAL, inv200_p99_ms REAL,"
    "  lateness_p50_us REAL, lateness_p99_us REAL, lateness_max_us REAL,"
    "  cpu_fraction REAL, cpu_us_per_call REAL, generator_bottleneck INTEGER,"
    "  capacity_mean REAL, capacity_ci_lo REAL, capacity_ci_hi REAL, capacity_n INTEGER,"
    "  hist_relative_error REAL NOT NULL"
    ");"
    "CREATE TABLE sip_intervals ("
    "  run_id INTEGER NOT NULL REFERENCES sip_runs(id) ON DELETE CASCADE,"
    "  interval INTEGER NOT NULL,"
    "  t_s REAL NOT NULL,"
    "  planned_rate REAL NOT NULL,"
    "  created INTEGER NOT NULL, successful INTEGER NOT NULL,"
    "  failed_timeout INTEGER NOT NULL, failed_4xx INTEGER NOT NULL,"
    "  failed_5xx INTEGER NOT NULL, failed_6xx INTEGER NOT NULL,"
    "  failed_unexpected INTEGER NOT NULL, retransmissions INTEGER NOT NULL,"
    "  malformed INTEGER NOT NULL,"
    "  inv100_p50_ms REAL, inv200_p50_ms REAL, inv200_p95_ms REAL, inv200_p99_ms REAL,"
    "  PRIMARY KEY (run_id, interval)"
    ");"
    "CREATE TABLE sip_latency_hist ("
    "  run_id INTEGER NOT NULL REFERENCES sip_runs(id) ON DELETE CASCADE,"
    "  series TEXT NOT NULL CHECK (series IN ('inv100', 'inv200', 'lateness')),"
    "  lo_ns INTEGER NOT NULL,"
    "  hi_ns INTEGER NOT NULL,"
    "  count INTEGER NOT NULL,"
    "  PRIMARY KEY (run_id, series, lo_ns)"
    ");"
    "CREATE TABLE sip_capacity_steps ("
    "  run_id INTEGER NOT NULL REFERENCES sip_runs(id) ON DELETE CASCADE,"
    "  repeat INTEGER NOT NULL,"
    "  step INTEGER NOT NULL,"
    "  rate REAL NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  successful INTEGER NOT NULL,"
    "  failed_pct REAL NOT NULL,"
    "  retransmission_pct REAL NOT NULL,"
    "  inv200_p95_ms REAL NOT NULL,"
    "  cpu_fraction REAL NOT NULL,"
    "  generator_bottleneck INTEGER NOT NULL,"
    "  verdict TEXT NOT NULL CHECK (verdict IN ('pass', 'fail', 'rejected')),"
    "  PRIMARY KEY (run_id, repeat, step)"
    ");",
    /* the experiment runner's profile of each point (issue 7) */
    "ALTER TABLE experiment_points ADD COLUMN profile_id INTEGER"
    "  REFERENCES profiles(id) ON DELETE SET NULL;",
    /* load drivers and server appliances of experiment points (issues 5, 6):
     * each load process's stored run (sip_runs or rtp_runs by kind) and what
     * each server appliance counted itself (its JSON, as printed at its end) */
    "CREATE TABLE point_loads ("
    "  experiment_id INTEGER NOT NULL,"
    "  point INTEGER NOT NULL,"
    "  load TEXT NOT NULL,"   /* the load's name in the file */
    "  target TEXT NOT NULL," /* the server appliance it drove */
    "  driver TEXT NOT NULL," /* sip-uac, sip-capacity, rtp */
    "  kind TEXT NOT NULL CHECK (kind IN ('sip', 'rtp')),"
    "  run_id INTEGER," /* sip_runs.id or rtp_runs.id; NULL when it failed */
    "  PRIMARY KEY (experiment_id, point, load, target),"
    "  FOREIGN KEY (experiment_id, point)"
    "    REFERENCES experiment_points(experiment_id, point) ON DELETE CASCADE"
    ");"
    "CREATE TABLE point_services ("
    "  experiment_id INTEGER NOT NULL,"
    "  point INTEGER NOT NULL,"
    "  appliance TEXT NOT NULL,"
    "  role TEXT NOT NULL," /* sip-server, media-server */
    "  address TEXT,"       /* HOST:PORT the loads were given */
    "  counters TEXT,"      /* JSON object, NULL when it printed none */
    "  PRIMARY KEY (experiment_id, point, appliance),"
    "  FOREIGN KEY (experiment_id, point)"
    "    REFERENCES experiment_points(experiment_id, point) ON DELETE CASCADE"
    ");",
    /* the platform a run's rounds ran on, as JSON ({"name": "vm", "accel":
     * "tcg", ...}; issue 13); NULL: on the host itself */
    "ALTER TABLE runs ADD COLUMN platform TEXT;",
    /* a VM round's control overhead (issue 13): the host's time from asking
     * for the round to its verified result, less what the guest spent on it */
    "ALTER TABLE timing_rounds ADD COLUMN control_s REAL;",
};

int vp_schema_version(void)
{
    return (int)(sizeof migrations / sizeof migrations[0]);
}

const char *vp_schema_migration(int from)
{
    return from >= 0 && from < vp_schema_version() ? migrations[from] : NULL;
}
