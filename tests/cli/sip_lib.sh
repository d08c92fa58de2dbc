# Shared by the SIP CLI tests: free loopback ports, peers started in the
# background and stopped by pid, waiting for a listener.
source "$(dirname "$0")/lib.sh"
SIP_DATA=${SIP_CORPUS:?SIP_CORPUS must name tests/data/sip}
pids=()
stop_peers() {
    local p
    for p in "${pids[@]}"; do
        kill "$p" 2>/dev/null || true
    done
    for p in "${pids[@]}"; do
        wait "$p" 2>/dev/null || true
    done
    pids=()
}
trap 'stop_peers; rm -rf "$work"' EXIT

# free_port: a UDP port nothing listens on now.
free_port() {
    python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for FILE PATTERN: until PATTERN shows in FILE (5 s at most).
wait_for() {
    for _ in $(seq 50); do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    cat "$1" >&2 || true
    fail "timed out waiting for '$2' in $1"
}

# wait_udp PORT: until something is bound to 127.0.0.1:PORT (5 s at most).
wait_udp() {
    for _ in $(seq 50); do
        ss -Hlun "sport = :$1" | grep -q . && return 0
        sleep 0.1
    done
    fail "nothing listens on udp port $1"
}

# json FILE JQ-EXPR
json() {
    jq -r "$2" "$1"
}
