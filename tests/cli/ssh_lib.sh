# OpenSSH servers in network namespaces of a test's, standing for other
# hosts (issue 17): a host key and a client key made for the test, its own
# known_hosts and ssh_config (through $VIRTPERF_SSH_CONFIG), and
# `virtperf agent --stdio` as the agent there ($VIRTPERF_REMOTE_AGENT).
# Sourced after lib.sh (needs $work, $VP, fail). Needs root and sshd.
sshd=/usr/sbin/sshd
sshd_pids=()

ssh_lib_require() {
    [[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
    [[ -x $sshd ]] && command -v ssh >/dev/null || { echo "SKIP: openssh-server not installed"; exit 77; }
}

# ssh_lib_keys: the host key, the client key (authorized) and a stranger's.
ssh_lib_keys() {
    ssh-keygen -q -t ed25519 -N '' -C vpt-host -f "$work/hostkey"
    ssh-keygen -q -t ed25519 -N '' -C vpt-client -f "$work/id"
    ssh-keygen -q -t ed25519 -N '' -C vpt-stranger -f "$work/stranger"
    cp "$work/id.pub" "$work/authorized_keys"
    : >"$work/known_hosts"
    : >"$work/ssh_config"
    export VIRTPERF_SSH_CONFIG=$work/ssh_config VIRTPERF_REMOTE_AGENT=$VP
}

# ssh_lib_target NS LINK HERE THERE: network namespace NS, joined to this
# one by veth LINK with addresses HERE (this side) and THERE (in NS, on
# eth0), both with their prefix ("10.0.0.1/30"); lo up there.
ssh_lib_target() {
    ip netns add "$1"
    ip link add "$2" type veth peer name eth0 netns "$1"
    ip addr add "$3" dev "$2"
    ip link set "$2" up
    ip -n "$1" addr add "$4" dev eth0
    ip -n "$1" link set eth0 up
    ip -n "$1" link set lo up
}

# The cgroup mounts of this machine, as `mount` commands: `ip netns exec`
# mounts a sysfs of the namespace's, without them, and a host stood for by
# a namespace has its cgroups (its containers need them).
cgroup_mounts() {
    awk '$3 == "tmpfs" && $2 == "/sys/fs/cgroup" { print "mount -t tmpfs -o mode=755 tmpfs /sys/fs/cgroup" }
         $3 == "cgroup" || $3 == "cgroup2" { print "mkdir -p " $2 " && mount -t " $3 " -o " $4 " " $3 " " $2 }' /proc/mounts
}

# start_sshd NS IP: sshd in namespace NS on IP:22, known to the client;
# $sshd_rundir, when set, is $VIRTPERF_RUNDIR of every session there (the
# journals of what that host's agent makes, apart from the tester's).
sshd_rundir=
start_sshd() {
    mkdir -p /run/sshd # its privilege separation directory, as the package makes it
    ip netns exec "$1" bash -c "$(cgroup_mounts) && exec \"\$0\" \"\$@\"" \
        "$sshd" -D -e -f /dev/null -h "$work/hostkey" -o "ListenAddress=$2" \
        -o Port=22 -o "AuthorizedKeysFile=$work/authorized_keys" -o StrictModes=no \
        -o PermitRootLogin=prohibit-password -o UsePAM=no -o PidFile=none -o LogLevel=ERROR \
        ${sshd_rundir:+-o "SetEnv=VIRTPERF_RUNDIR=$sshd_rundir"} \
        2>>"$work/sshd.log" &
    sshd_pids+=($!)
    echo "$2 $(cut -d' ' -f1,2 "$work/hostkey.pub")" >>"$work/known_hosts"
}

# ssh_alias NAME IP [KEY]: Host NAME in the test's ssh_config.
ssh_alias() {
    cat >>"$work/ssh_config" <<EOC
Host $1
    HostName $2
    User root
    IdentityFile $work/${3:-id}
    IdentitiesOnly yes
EOC
}

# ssh_lib_defaults: the settings for every host, after the aliases.
ssh_lib_defaults() {
    cat >>"$work/ssh_config" <<EOC
Host *
    UserKnownHostsFile $work/known_hosts
    GlobalKnownHostsFile /dev/null
    StrictHostKeyChecking yes
    ConnectTimeout 5
EOC
}

# wait_ssh ALIAS: until its sshd answers (10 s).
wait_ssh() {
    for _ in $(seq 100); do
        ssh -F "$work/ssh_config" -o BatchMode=yes "$1" true 2>/dev/null && return 0
        sleep 0.1
    done
    ssh -F "$work/ssh_config" -o BatchMode=yes "$1" true || fail "sshd of $1 does not answer: $(cat "$work/sshd.log")"
}

stop_sshds() {
    ((${#sshd_pids[@]})) && kill "${sshd_pids[@]}" 2>/dev/null
    return 0
}

# nothing_left_in NS: within 10 s, no process in namespace NS but its sshd.
nothing_left_in() {
    local left
    for _ in $(seq 100); do
        left=$(ip netns pids "$1" | grep -vxF -f <(printf '%s\n' "${sshd_pids[@]}") || true)
        [[ -z $left ]] && return 0
        sleep 0.1
    done
    fail "left running in $1: $(xargs -r ps -o pid=,args= -p <<<"$left")"
}
