/* The profiler's parsers on fixture text (cgroup v1 and v2, /proc files),
 * rates and resets, the lateness histogram, and the sampler on a live child
 * process (targets added, vanishing, removed at run time). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "core/clock.h"
#include "profiler/profiler.h"
#include "profiler/series.h"

static void test_proc_stat(void)
{
    const char *text = "cpu  100 2 30 1000 5 6 7 8 0 0\n"
                       "cpu0 50 1 15 500 2 3 4 5 0 0\n"
                       "cpu1 50 1 15 500 3 3 3 3 0 0\n"
                       "intr 12345 0 0\nctxt 999\n";
    size_t pos = 0;
    struct vp_core_times c;
    CHECK_INT(vp_parse_proc_stat_line(text, &pos, 0.01, &c), 1);
    CHECK_INT(c.cpu, -1);
    CHECK_NEAR(c.user, 1.0, 1e-12);
    CHECK_INT(vp_parse_proc_stat_line(text, &pos, 0.01, &c), 1);
    CHECK_INT(c.cpu, 0);
    CHECK_NEAR(c.idle, 5.0, 1e-12);
    CHECK_NEAR(c.steal, 0.05, 1e-12);
    CHECK_INT(vp_parse_proc_stat_line(text, &pos, 0.01, &c), 1);
    CHECK_INT(c.cpu, 1);
    CHECK_NEAR(c.iowait, 0.03, 1e-12);
    CHECK_INT(vp_parse_proc_stat_line(text, &pos, 0.01, &c), 0);
}

static void test_cgroup_v2(void)
{
    const char *cpu = "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n"
                      "core_sched.force_idle_usec 0\nnr_periods 40\nnr_throttled 12\n"
                      "throttled_usec 600000\nnr_bursts 0\nburst_usec 0\n";
    struct vp_cg_cpu c = {0};
    vp_parse_cg2_cpu_stat(cpu, &c);
    CHECK(c.have_usage && c.have_split && c.have_throttle);
    CHECK_NEAR(c.usage_s, 2.5, 1e-12);
    CHECK_NEAR(c.user_s, 2.0, 1e-12);
    CHECK_NEAR(c.system_s, 0.5, 1e-12);
    CHECK_NEAR(c.periods, 40, 0);
    CHECK_NEAR(c.throttled, 12, 0);
    CHECK_NEAR(c.throttled_s, 0.6, 1e-12);
    /* without the cpu controller: no throttling lines */
    struct vp_cg_cpu d = {0};
    vp_parse_cg2_cpu_stat("usage_usec 10\nuser_usec 6\nsystem_usec 4\n", &d);
    CHECK(d.have_usage && !d.have_throttle);

    const char *io = "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n"
                     "259:0 rbytes=1000 wbytes=0 rios=3 wios=0 dbytes=0 dios=0\n";
    struct vp_cg_io o;
    vp_parse_cg2_io_stat(io, &o);
    CHECK_NEAR(o.rbytes, 5096, 0);
    CHECK_NEAR(o.wbytes, 8192, 0);
    CHECK_NEAR(o.rios, 4, 0);
    CHECK_NEAR(o.wios, 2, 0);
}

static void test_cgroup_v1(void)
{
    struct vp_cg_cpu c = {0};
    vp_parse_cg1_cpu_stat("nr_periods 20\nnr_throttled 7\nthrottled_time 350000000\n"
                          "nr_bursts 0\nburst_time 0\n",
                          &c);
    CHECK(c.have_throttle);
    CHECK_NEAR(c.periods, 20, 0);
    CHECK_NEAR(c.throttled, 7, 0);
    CHECK_NEAR(c.throttled_s, 0.35, 1e-12);
    vp_parse_cg1_cpuacct_stat("user 250\nsystem 50\n", 0.01, &c);
    CHECK(c.have_split);
    CHECK_NEAR(c.user_s, 2.5, 1e-12);
    CHECK_NEAR(c.system_s, 0.5, 1e-12);

    const char *bytes = "8:0 Read 4096\n8:0 Write 12288\n8:0 Sync 0\n8:0 Async 16384\n"
                        "8:0 Discard 0\n8:0 Total 16384\n8:16 Read 100\n8:16 Write 0\n"
                        "Total 16484\n";
    const char *ops = "8:0 Read 1\n8:0 Write 3\n8:0 Total 4\nTotal 4\n";
    struct vp_cg_io o = {0};
    vp_parse_cg1_blkio(bytes, false, &o);
    vp_parse_cg1_blkio(ops, true, &o);
    CHECK_NEAR(o.rbytes, 4196, 0);
    CHECK_NEAR(o.wbytes, 12288, 0);
    CHECK_NEAR(o.rios, 1, 0);
    CHECK_NEAR(o.wios, 3, 0);
}

static void test_task_files(void)
{
    /* a comm with spaces and a parenthesis, as QEMU's vCPU threads and
     * hostile programs have */
    const char *stat = "4242 (CPU 0/KVM) x) R 1 4242 4242 0 -1 4194560 100 0 0 0 "
                       "250 50 0 0 20 0 3 0 1000 0 0 18446744073709551615\n";
    struct vp_task_stat s;
    CHECK_INT(vp_parse_task_stat(stat, 0.01, &s), 0);
    CHECK_STR(s.comm, "CPU 0/KVM) x");
    CHECK_INT(s.state, 'R');
    CHECK_NEAR(s.utime_s, 2.5, 1e-12);
    CHECK_NEAR(s.stime_s, 0.5, 1e-12);
    CHECK_INT(s.num_threads, 3);
    CHECK_INT(vp_parse_task_stat("garbage", 0.01, &s), -EINVAL);

    double vol, invol, run, wait;
    const char *status = "Name:\tqemu\nState:\tS (sleeping)\nThreads:\t4\n"
                         "voluntary_ctxt_switches:\t150\nnonvoluntary_ctxt_switches:\t7\n";
    CHECK_INT(vp_parse_status_ctxsw(status, &vol, &invol), 0);
    CHECK_NEAR(vol, 150, 0);
    CHECK_NEAR(invol, 7, 0);
    CHECK_INT(vp_parse_status_ctxsw("Name:\tx\n", &vol, &invol), -EINVAL);
    CHECK_INT(vp_parse_schedstat("1500000000 250000000 42\n", &run, &wait), 0);
    CHECK_NEAR(run, 1.5, 1e-12);
    CHECK_NEAR(wait, 0.25, 1e-12);

    CHECK_INT(vp_vcpu_index("CPU 0/KVM"), 0);
    CHECK_INT(vp_vcpu_index("CPU 12/TCG"), 12);
    CHECK_INT(vp_vcpu_index("CPU 1/XYZ"), -1);
    CHECK_INT(vp_vcpu_index("CPU 1/KVMx"), -1);
    CHECK_INT(vp_vcpu_index("qemu-system-x86"), -1);
}

static void test_net_dev(void)
{
    const char *text =
        "Inter-|   Receive                                                |  Transmit\n"
        " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets "
        "errs drop fifo colls carrier compressed\n"
        "    lo:  123456     789    0    0    0     0          0         0   123456     789 "
        "   0    0    0     0       0          0\n"
        "  veth0: 1000 10 1 2 0 0 0 0 2000 20 0 3 0 0 0 0\n";
    struct vp_net_counters c;
    CHECK_INT(vp_parse_net_dev(text, "veth0", &c), 0);
    CHECK_NEAR(c.rx_bytes, 1000, 0);
    CHECK_NEAR(c.rx_packets, 10, 0);
    CHECK_NEAR(c.rx_drops, 2, 0);
    CHECK_NEAR(c.tx_bytes, 2000, 0);
    CHECK_NEAR(c.tx_packets, 20, 0);
    CHECK_NEAR(c.tx_drops, 3, 0);
    CHECK_INT(vp_parse_net_dev(text, "lo", &c), 0);
    CHECK_NEAR(c.tx_bytes, 123456, 0);
    CHECK_INT(vp_parse_net_dev(text, "veth", &c), -ENOENT);
}

/* Rates from deltas over time; a counter going back is a reset; a target
 * that vanished starts from a new baseline. */
static void test_rates(void)
{
    struct vp_prof_target t = {0};
    uint64_t s = 1000000000u;
    vp_prof_begin(&t);
    vp_prof_put(&t, VP_FAM_CG_USAGE, "", "cpu.total", "", 10.0, 1 * s);
    vp_prof_put(&t, VP_FAM_CG_MEMORY, "", "memory.bytes", "", 100, 1 * s);
    vp_prof_finish(&t, false);
    CHECK(!t.series[0].rated);
    CHECK(t.series[1].rated);
    vp_prof_begin(&t);
    vp_prof_put(&t, VP_FAM_CG_USAGE, "", "cpu.total", "", 10.5, 2 * s);
    vp_prof_put(&t, VP_FAM_CG_MEMORY, "", "memory.bytes", "", 300, 2 * s);
    vp_prof_finish(&t, false);
    CHECK(t.series[0].rated);
    CHECK_NEAR(t.series[0].rate, 0.5, 1e-12);
    vp_prof_begin(&t); /* reset: the counter restarted from 0 */
    vp_prof_put(&t, VP_FAM_CG_USAGE, "", "cpu.total", "", 0.25, 3 * s);
    vp_prof_finish(&t, false);
    CHECK_NEAR(t.series[0].rate, 0.25, 1e-12);
    CHECK(!t.series[1].rated); /* not read this time */
    vp_prof_begin(&t);         /* gone */
    vp_prof_finish(&t, true);
    vp_prof_begin(&t); /* back: only a baseline, no rate across the gap */
    vp_prof_put(&t, VP_FAM_CG_USAGE, "", "cpu.total", "", 5.0, 5 * s);
    vp_prof_finish(&t, false);
    CHECK(!t.series[0].rated);
    CHECK_NEAR(t.series[0].sum_delta / t.series[0].sum_dt, 0.375, 1e-12);
    CHECK_NEAR(t.series[1].sum_val / (double)t.series[1].nrates, 200, 1e-12);
    free(t.series);
}

static void test_hist(void)
{
    static struct vp_prof_hist h;
    for (uint64_t v = 1; v <= 100000; v++)
        vp_prof_hist_add(&h, v * 1000); /* 1 us .. 100 ms */
    uint64_t p50 = vp_prof_hist_quantile(&h, 0.5), p99 = vp_prof_hist_quantile(&h, 0.99);
    CHECK(p50 <= 50000000u && p50 >= 50000000u - 50000000u / 64);
    CHECK(p99 <= 99000000u && p99 >= 99000000u - 99000000u / 64);
    CHECK_INT(vp_prof_hist_quantile(&h, 1), 100000000);
    CHECK_INT(h.n, 100000);
}

/* A live child: CPU is seen, the target vanishes when it dies, and targets
 * come and go at run time. */
static void test_live_pid(void)
{
    pid_t child = fork();
    if (child == 0) {
        uint64_t end = vp_now_ns() + 3000000000u;
        volatile uint64_t x = 0;
        while (vp_now_ns() < end)
            x++;
        _exit(0);
    }
    CHECK(child > 0);
    struct vp_err err = {0};
    struct vp_profiler *p = NULL;
    struct vp_profiler_cfg cfg = {.interval_ns = 50000000u, .no_cores = true};
    CHECK_INT(vp_profiler_start(&cfg, &p, &err), 0);
    CHECK_INT(vp_profiler_add_pid(p, "busy", child, &err), 0);
    CHECK_INT(vp_profiler_add_pid(p, "self", getpid(), &err), 0);
    CHECK(vp_profiler_add_pid(p, "none", 0x3ffffff0, &err) == -EINVAL);
    CHECK(vp_profiler_add_pid(p, "bad/name", getpid(), &err) == -EINVAL);
    CHECK(vp_profiler_add_cgroup(p, "x", "/no/such/cgroup/here", &err) == -EINVAL);
    CHECK(vp_profiler_add_iface(p, "x", "no-such-if0", &err) == -EINVAL);
    vp_sleep_ns(600000000u);
    double rate = 0, v = 0;
    CHECK_INT(vp_profiler_mean_rate(p, "busy", "cpu.total", &rate), 0);
    CHECK(rate > 0); /* busy: how busy depends on what else the machine runs */
    /* the raw reading trails the child's own run time by at most a sample */
    CHECK_INT(vp_profiler_read(p, "busy", "cpu.total", &v), 0);
    char path[64], buf[128];
    snprintf(path, sizeof path, "/proc/%d/schedstat", (int)child);
    double run = -1, wait = -1;
    CHECK(vp_prof_read_path(path, buf, sizeof buf) > 0 &&
          vp_parse_schedstat(buf, &run, &wait) == 0);
    CHECK(v > 0 && v <= run && run - v < 0.2);
    CHECK_INT(vp_profiler_read(p, "busy", "runq_wait", &v), 0);
    CHECK_INT(vp_profiler_remove(p, "self"), 1);
    CHECK_INT(vp_profiler_read(p, "self", "cpu.total", &v), -ENOENT);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    vp_sleep_ns(200000000u); /* the sampler finds it gone and goes on */
    struct vp_profiler_self self;
    CHECK_INT(vp_profiler_stop(p, &self, &err), 0);
    CHECK(self.samples >= 10);
    CHECK(self.cpu_s >= 0 && self.cpu_s < self.elapsed_s);
    CHECK(self.lateness_max_s >= self.lateness_p99_s);
    vp_profiler_free(p);

    CHECK(vp_profiler_start(&(struct vp_profiler_cfg){.interval_ns = 5000000u}, &p, &err) ==
          -EINVAL);
}

static int64_t count_rows(const char *db, const char *sql)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *q = NULL;
    int64_t n = -1;
    if (sqlite3_open(db, &h) == SQLITE_OK &&
        sqlite3_prepare_v2(h, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
        n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(h);
    return n;
}

static volatile int vcpu_stop;

/* A thread named as QEMU names its vCPU threads, busy for 100 ms. */
static void *fake_vcpu(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "CPU 0/KVM");
    uint64_t end = vp_now_ns() + 100000000u;
    volatile uint64_t x = 0;
    while (vp_now_ns() < end)
        x++;
    while (!vcpu_stop)
        vp_sleep_ns(5000000u);
    return NULL;
}

/* The store: a profile row with its cost, samples, and the round observer's
 * marks, on the profiler's own connection; this process's threads are
 * reported one by one, the vCPU-named one as vcpu0. */
static void test_store_marks(void)
{
    char dir[] = "/tmp/vp-prof-unit.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char db[128], csv[128];
    snprintf(db, sizeof db, "%s/s.db", dir);
    snprintf(csv, sizeof csv, "%s/s.csv", dir);
    struct vp_err err = {0};
    struct vp_profiler *p = NULL;
    struct vp_profiler_cfg cfg = {
        .interval_ns = 20000000u, .store_path = db, .csv_path = csv, .run_id = 7};
    CHECK_INT(vp_profiler_start(&cfg, &p, &err), 0);
    CHECK(vp_profiler_id(p) > 0);
    pthread_t vcpu;
    CHECK_INT(pthread_create(&vcpu, NULL, fake_vcpu, NULL), 0);
    vp_sleep_ns(10000000u);
    CHECK_INT(vp_profiler_add_pid(p, "self", getpid(), &err), 0);
    struct vp_round_observer obs = vp_profiler_round_observer(p);
    CHECK_INT(obs.start(obs.arg, 1, false, &err), 0);
    vp_sleep_ns(150000000u);
    CHECK_INT(obs.end(obs.arg, 1, false, 0.15, &err), 0);
    CHECK_INT(vp_profiler_mark(p, "step 200 cps"), 0);
    double v = 0;
    CHECK_INT(vp_profiler_read(p, "self/vcpu0", "cpu.total", &v), 0);
    CHECK(v > 0.02);
    vcpu_stop = 1;
    pthread_join(vcpu, NULL);
    struct vp_profiler_self self;
    CHECK_INT(vp_profiler_stop(p, &self, &err), 0);
    vp_profiler_free(p);
    CHECK_INT(count_rows(db, "SELECT count(*) FROM profile_marks"), 3);
    CHECK_INT(count_rows(db, "SELECT count(*) FROM profiles WHERE status = 'complete' AND "
                             "run_id = 7 AND samples >= 5 AND cpu_s > 0"),
              1);
    CHECK(count_rows(db, "SELECT count(*) FROM profile_samples WHERE target = 'self' AND "
                         "metric = 'cpu.total'") >= 4);
    CHECK(count_rows(db, "SELECT count(*) FROM profile_samples WHERE target = 'host/cpu0'") >=
          8 * 4);
    unlink(db);
    char side[160];
    snprintf(side, sizeof side, "%s-wal", db);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", db);
    unlink(side);
    unlink(csv);
    rmdir(dir);
}

int main(void)
{
    RUN(test_proc_stat);
    RUN(test_cgroup_v2);
    RUN(test_cgroup_v1);
    RUN(test_task_files);
    RUN(test_net_dev);
    RUN(test_rates);
    RUN(test_hist);
    RUN(test_live_pid);
    RUN(test_store_marks);
    return CHECK_DONE();
}
