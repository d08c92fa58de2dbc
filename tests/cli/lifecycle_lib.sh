# What a run is made of while it runs and what it leaves, for tests that
# kill runners (runner_killed, crash-test). Run ids name journals
# ($VIRTPERF_RUNDIR/<id>.journal), cgroups (virtperf/<id>), links (vp<id>...).

descendants() { # PID: every process below it, one per line
    local c
    for c in $(pgrep -P "$1" 2>/dev/null || true); do
        echo "$c"
        descendants "$c"
    done
}

running() { # PID: it exists and is no zombie (a zombie only waits to be reaped)
    local s
    s=$(cut -d')' -f2 "/proc/$1/stat" 2>/dev/null | awk '{print $1}') || return 1
    [[ -n $s && $s != Z && $s != X ]]
}

run_ids() { # the run ids whose journals are in $VIRTPERF_RUNDIR
    local f
    for f in "$VIRTPERF_RUNDIR"/*.journal; do
        [[ -e $f ]] && basename "$f" .journal
    done
    return 0
}

run_cgroups() { # ID: the run's cgroup directories, deepest first
    find /sys/fs/cgroup -depth -type d \( -path "*/virtperf/$1" -o -path "*/virtperf/$1/*" \) \
        2>/dev/null || true
}

run_tasks() { # ID: the tasks in the run's cgroups
    local d
    for d in $(run_cgroups "$1"); do
        cat "$d/cgroup.procs" 2>/dev/null || true
    done
}

run_links() { # ID: the run's host links
    ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep "^vp$1" || true
}

run_procs() { # ID: "<pid> <start time>" of each live proc and netns entry of its journal
    local f=$VIRTPERF_RUNDIR/$1.journal
    [[ -e $f ]] || return 0
    cut -c10- "$f" | awk '$1 == "+" && ($3 == "proc" || $3 == "netns") { live[$2] = $4 " " $5 }
                          $1 == "-" { delete live[$2] }
                          END { for (k in live) print live[k] }'
}

alive() { # PID START: that process still runs (not another of the same pid, no zombie)
    running "$1" && [[ $(cut -d')' -f2 "/proc/$1/stat" 2>/dev/null | awk '{print $20}') == "$2" ]]
}

run_alive() { # ID: what of a run still runs, one line each: its processes, its
    # cgroups' tasks, its watcher
    local p s
    while read -r p s; do
        [[ -n $p ]] && alive "$p" "$s" && echo "process $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-60)"
    done < <(run_procs "$1")
    for p in $(run_tasks "$1"); do running "$p" && echo "task $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-60)"; done
    for p in $(pgrep -x "vpw-$1"); do running "$p" && echo "watcher $p"; done
    return 0
}

wait_run_gone() { # SECONDS ID...: until nothing of these runs runs; else what does, status 1
    local until=$(($(date +%s%N) + $1 * 1000000000)) id left
    shift
    while :; do
        left=$(for id in "$@"; do run_alive "$id"; done)
        [[ -z $left ]] && return 0
        [[ $(date +%s%N) -ge $until ]] && break
        sleep 0.02
    done
    echo "$left"
    return 1
}

run_leftovers() { # ID: what is left of a run, one line each (nothing: all gone)
    run_cgroups "$1" | sed 's/^/cgroup /'
    run_links "$1" | sed 's/^/link /'
    run_alive "$1"
    [[ -e $VIRTPERF_RUNDIR/$1.journal ]] && echo "journal $1"
    grep -lx "$1" "$VIRTPERF_RUNDIR"/subnet-*.lease 2>/dev/null | sed 's/^/lease /'
    return 0
}

# wait_gone SECONDS PID...: until none of them runs; the ones that still do
# are printed (and the status is 1) after SECONDS
wait_gone() {
    local until=$(($(date +%s%N) + ${1%.*} * 1000000000)) p left
    shift
    while :; do
        left=()
        for p in "$@"; do running "$p" && left+=("$p"); done
        [[ ${#left[@]} -eq 0 ]] && return 0
        [[ $(date +%s%N) -ge $until ]] && break
        sleep 0.02
    done
    for p in "${left[@]}"; do echo "$p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-80)"; done
    return 1
}
