#!/usr/bin/env bash
# scripts/guest-image and guest/init: the image is built from Debian packages
# into a private cache, a second run reuses it untouched, two concurrent
# builders agree, bad input is a one-line exit 2, the cache keeps only the
# images used last (VIRTPERF_GUEST_CACHE_KEEP); the image boots under TCG
# to `virtperf-guest: ready` having named the virtio-serial port, mounted the
# ext4 scratch disk, configured eth0 and set the hostname. busybox stands in
# for the agent (it just fails as `virtperf-guest agent`), so nothing here
# depends on the agent running.
source "$(dirname "$0")/lib.sh"

gi=$(dirname "$0")/../../scripts/guest-image
kernels=(/boot/vmlinuz-*)
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no qemu-system-x86_64"; exit 77; }
[[ $(dpkg-query -W -f='${Status}' busybox-static 2>/dev/null) == "install ok installed" &&
    -x /bin/busybox ]] || { echo "SKIP: no busybox-static /bin/busybox"; exit 77; }
[[ -e ${kernels[0]} ]] || { echo "SKIP: no kernel in /boot"; exit 77; }
command -v mkfs.ext4 >/dev/null || { echo "SKIP: no mkfs.ext4"; exit 77; }

qemu=
cleanup() {
    [[ -n $qemu ]] && { kill "$qemu" 2>/dev/null; wait "$qemu" 2>/dev/null || true; }
    rm -rf "$work"
}
trap cleanup EXIT

# mtime with nanoseconds, and inode: a rebuild would change both
stamp() { stat -c '%i %y' "$1"; }

# bad input: one line, exit 2, nothing left in the cache
cache=$work/cache
expect_exit 2 "$gi" --agent /nonexistent --cache "$cache"
expect_one_line_error "guest-image: agent /nonexistent"
expect_exit 2 "$gi" --agent "$gi" --cache "$cache" # a script
expect_one_line_error "guest-image: agent $gi is not an x86-64 executable"
# a dynamic agent whose library this machine does not have
echo 'int gone(void) { return 0; }' >"$work/gone.c"
echo 'int gone(void); int main(void) { return gone(); }' >"$work/main.c"
cc -shared -fPIC -o "$work/libgone.so" "$work/gone.c"
cc -o "$work/needs-gone" "$work/main.c" -L"$work" -lgone
rm "$work/libgone.so"
expect_exit 2 "$gi" --agent "$work/needs-gone" --cache "$cache"
expect_one_line_error "guest-image: agent $work/needs-gone: library libgone.so not found"
expect_exit 2 "$gi" --agent /bin/busybox --kernel "$work/vmlinuz-none" --cache "$cache"
expect_one_line_error "guest-image: kernel"
expect_exit 2 "$gi" --agent /bin/busybox --bogus
expect_one_line_error "bogus"
[[ -z $(ls -A "$cache" 2>/dev/null) ]] || fail "bad input left $(ls -A "$cache")"

# build, then reuse
expect_exit 0 "$gi" --agent /bin/busybox --cache "$cache"
[[ $(wc -l <"$work/out") -eq 1 ]] || fail "stdout is not one line: $(cat "$work/out")"
img=$(cat "$work/out")
[[ $img == "$cache"/[0-9a-f]* && ${#img} -eq $((${#cache} + 17)) ]] || fail "image path $img"
for f in vmlinuz initramfs.img inputs.txt; do [[ -s $img/$f ]] || fail "no $f in $img"; done
grep -q '^kernel-version ' "$img/inputs.txt" || fail "inputs.txt: $(cat "$img/inputs.txt")"
grep -q '^module .*virtio_console' "$img/inputs.txt" || fail "no virtio_console in inputs.txt"
before=$(stamp "$img/initramfs.img")
start=$EPOCHREALTIME
expect_exit 0 "$gi" --agent /bin/busybox --cache "$cache"
reuse=$(bc <<<"$EPOCHREALTIME - $start")
[[ $(cat "$work/out") == "$img" ]] || fail "second run gave $(cat "$work/out"), not $img"
[[ $(stamp "$img/initramfs.img") == "$before" ]] || fail "second run rebuilt the image"
(($(bc <<<"$reuse < 10"))) || fail "reusing the image took ${reuse}s"
expect_exit 0 "$gi" --agent /bin/busybox --cache "$cache" --print-key
[[ $(cat "$work/out") == "${img##*/}" ]] || fail "--print-key gave $(cat "$work/out")"
echo "image $(du -sh "$img/initramfs.img" | cut -f1) initramfs, reused in ${reuse}s"

# two concurrent builders into an empty cache: same image, no temp dir left
"$gi" --agent /bin/busybox --cache "$work/c2" >"$work/b1" 2>&1 &
b1=$!
"$gi" --agent /bin/busybox --cache "$work/c2" >"$work/b2" 2>&1 || fail "builder 2: $(cat "$work/b2")"
wait "$b1" || fail "builder 1: $(cat "$work/b1")"
[[ $(cat "$work/b1") == "$(cat "$work/b2")" && $(ls -A "$work/c2") == "${img##*/}" ]] ||
    fail "concurrent builders: $(cat "$work/b1" "$work/b2"); cache holds $(ls -A "$work/c2")"

# boot under TCG (romfile= spares SeaBIOS the NIC's iPXE option ROM)
truncate -s 64M "$work/disk.img"
mkfs.ext4 -q -F "$work/disk.img"
console=$work/console.log
start=$EPOCHREALTIME
qemu-system-x86_64 -accel tcg,thread=multi -m 256 -smp 1 -nographic -no-reboot -monitor none \
    -serial "file:$console" -kernel "$img/vmlinuz" -initrd "$img/initramfs.img" \
    -append "console=ttyS0 panic=-1 quiet vp.name=t1 vp.addr=10.0.2.15/24 vp.gw=10.0.2.2" \
    -device virtio-serial-pci \
    -chardev "socket,id=a0,path=$work/a0.sock,server=on,wait=off" \
    -device virtserialport,chardev=a0,name=vp.agent.0 \
    -drive "file=$work/disk.img,format=raw,if=virtio" \
    -netdev user,id=n0 -device virtio-net-pci,netdev=n0,romfile= </dev/null >"$work/qemu.out" 2>&1 &
qemu=$!
ready=
for _ in $(seq 1 600); do
    grep -q '^virtperf-guest: ready' "$console" 2>/dev/null && { ready=$(bc <<<"$EPOCHREALTIME - $start"); break; }
    kill -0 "$qemu" 2>/dev/null || break
    sleep 0.05
done
[[ -n $ready ]] || fail "no 'virtperf-guest: ready' in 30 s; console: $(cat "$console" 2>/dev/null); qemu: $(cat "$work/qemu.out")"
echo "boot to ready: ${ready}s (TCG)"
kill "$qemu" 2>/dev/null || true # the stand-in agent's exit may have powered it off already
wait "$qemu" 2>/dev/null || true
qemu=

want="virtperf-guest: ports vp.agent.0; scratch /dev/vda; net eth0 10.0.2.15/24 via 10.0.2.2; name t1; cgroup v2"
# (SeaBIOS leaves terminal escapes ahead of init's first line)
grep -qxF "$want" <(tr -d '\r' <"$console" | sed 's/^.*virtperf-guest: /virtperf-guest: /') || fail "no '$want' on the console: $(cat "$console")"
! grep -q 'virtperf-guest: init:' "$console" || fail "init failed: $(grep 'virtperf-guest: init:' "$console")"

# the cache keeps the images used last: with room for one, a second agent's
# image replaces the first; a count below one is refused
cp /bin/busybox "$work/agent2" && echo >>"$work/agent2" # another agent, another key
VIRTPERF_GUEST_CACHE_KEEP=1 expect_exit 0 "$gi" --agent "$work/agent2" --cache "$cache"
img2=$(cat "$work/out")
[[ $img2 != "$img" && -s $img2/initramfs.img ]] || fail "second agent's image: $img2"
[[ ! -e $img && $(ls "$cache") == "${img2##*/}" ]] || fail "pruned cache holds: $(ls -A "$cache")"
VIRTPERF_GUEST_CACHE_KEEP=0 expect_exit 2 "$gi" --agent /bin/busybox --cache "$cache"
expect_one_line_error "VIRTPERF_GUEST_CACHE_KEEP=0: want a count of 1 or more"
echo ok
