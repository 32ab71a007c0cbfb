#!/usr/bin/env bash
# run-in-guest.sh [--env NAME=VALUE]... [--file PATH]... [--cache DIR]
#                 [--timeout SECONDS] -- PROGRAM [ARGS...]
#
# Run one host-built x86-64 Linux program inside a throw-away Linux guest
# (qemu-system-x86_64 -accel tcg -cpu max, which emulates protection keys)
# and exit with the program's exit status.  The program's stdout+stderr (as
# seen on the guest's serial console) are printed on our stdout.
#
# Exit status:
#   0..255  the program's exit status in the guest (128+N if killed by signal N)
#   77      guest infrastructure unavailable (stderr: "run-in-guest: SKIP: ...")
#   125     harness failure (guest reported no status, timeout, bad usage, ...)
#
# FLEXOS_GUEST_CACHE (kernel cache dir), FLEXOS_GUEST_TIMEOUT (seconds,
# default 120), FLEXOS_GUEST_VERBOSE=1 (dump the whole guest console on
# stderr), QEMU (qemu binary).  See tests/guest/README.md.
set -euo pipefail

SELF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE_DIR=${FLEXOS_GUEST_CACHE:-${HOME:-/tmp}/.cache/flexos-guest}
TIMEOUT=${FLEXOS_GUEST_TIMEOUT:-120}
QEMU=${QEMU:-qemu-system-x86_64}
BUSYBOX=${FLEXOS_GUEST_BUSYBOX:-/bin/busybox}
ENVS=()
FILES=()

usage() {
    echo "usage: $0 [--env NAME=VALUE]... [--file PATH]... [--cache DIR] [--timeout SEC] -- PROGRAM [ARGS...]" >&2
    exit 125
}
fail() { echo "run-in-guest: ERROR: $*" >&2; exit 125; }
skip() { echo "run-in-guest: SKIP: $*" >&2; exit 77; }

while [[ $# -gt 0 ]]; do
    case "$1" in
        --env)     [[ $# -ge 2 ]] || usage; ENVS+=("$2"); shift 2 ;;
        --env=*)   ENVS+=("${1#--env=}"); shift ;;
        --file)    [[ $# -ge 2 ]] || usage; FILES+=("$2"); shift 2 ;;
        --file=*)  FILES+=("${1#--file=}"); shift ;;
        --cache)   [[ $# -ge 2 ]] || usage; CACHE_DIR=$2; shift 2 ;;
        --cache=*) CACHE_DIR=${1#--cache=}; shift ;;
        --timeout) [[ $# -ge 2 ]] || usage; TIMEOUT=$2; shift 2 ;;
        --timeout=*) TIMEOUT=${1#--timeout=}; shift ;;
        --)        shift; break ;;
        -h|--help) usage ;;
        *)         break ;;   # tolerate a missing "--"
    esac
done
[[ $# -ge 1 ]] || usage
PROG=$1; shift

for e in ${ENVS[@]+"${ENVS[@]}"}; do
    [[ "$e" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || fail "bad --env '$e' (expected NAME=VALUE)"
done
[[ "$TIMEOUT" =~ ^[0-9]+$ ]] || fail "bad --timeout '$TIMEOUT'"

# ---------------------------------------------------------------- prerequisites
command -v "$QEMU" >/dev/null 2>&1 || skip "$QEMU not found (apt-get install qemu-system-x86)"
[[ -x "$BUSYBOX" ]] || skip "static busybox $BUSYBOX not found (apt-get install busybox-static)"
if LC_ALL=C ldd "$BUSYBOX" 2>&1 | grep -q '=>'; then
    skip "$BUSYBOX is dynamically linked (apt-get install busybox-static)"
fi
for tool in cpio gzip ldd timeout; do
    command -v "$tool" >/dev/null 2>&1 || skip "required tool '$tool' not found"
done

KERNEL="$CACHE_DIR/kernel/vmlinuz"
if [[ ! -f "$KERNEL" ]]; then
    KERNEL=$("$SELF_DIR/fetch-kernel.sh" "$CACHE_DIR") \
        || skip "no guest kernel in $CACHE_DIR and tests/guest/fetch-kernel.sh could not fetch one"
    [[ -f "$KERNEL" ]] || skip "fetch-kernel.sh did not produce a kernel"
fi

# ---------------------------------------------------------------- the program
if [[ "$PROG" != */* ]]; then
    p=$(command -v -- "$PROG" 2>/dev/null) || fail "program '$PROG' not found in PATH"
    PROG=$p
fi
[[ -f "$PROG" && -x "$PROG" ]] || fail "program '$PROG' is not an executable file"
PROG=$(cd "$(dirname "$PROG")" && pwd -P)/$(basename "$PROG")

# ---------------------------------------------------------------- initramfs
WORK=$(mktemp -d "${TMPDIR:-/tmp}/run-in-guest.XXXXXX")
QPID=
cleanup() {
    if [[ -n "$QPID" ]]; then kill "$QPID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 125' INT TERM HUP
ROOT="$WORK/root"
mkdir -p "$ROOT"/{bin,sbin,dev,proc,sys,tmp,etc,root}
chmod 1777 "$ROOT/tmp"

# copy_in HOSTPATH: put the file (or directory tree) at the same absolute
# path in the initramfs,
# dereferenced; if the path goes through symlinks (e.g. merged /usr), also
# put it at its canonical path.
copy_in() {
    local src=$1 real
    [[ -e "$src" ]] || fail "cannot find '$src' on the host"
    mkdir -p "$ROOT$(dirname "$src")"
    [[ -e "$ROOT$src" ]] || cp -RL "$src" "$ROOT$src"
    real=$(readlink -f "$src")
    if [[ "$real" != "$src" && ! -e "$ROOT$real" ]]; then
        mkdir -p "$ROOT$(dirname "$real")"
        cp -RL "$src" "$ROOT$real"
    fi
}

cp "$BUSYBOX" "$ROOT/bin/busybox"
for a in sh mount echo cat poweroff sleep; do ln -sf busybox "$ROOT/bin/$a"; done

ldd_out=$(LC_ALL=C ldd "$PROG" 2>&1) || true
if grep -q 'not found' <<<"$ldd_out"; then
    fail "missing shared libraries for $PROG:"$'\n'"$ldd_out"
fi
copy_in "$PROG"
while read -r line; do
    case "$line" in
        *'=> /'*) lib=${line#*=> }; lib=${lib%% (*}; copy_in "$lib" ;;
        /*)       lib=${line%% (*}; copy_in "$lib" ;;
    esac
done <<<"$ldd_out"
# glibc loads libgcc_s to unwind in pthread_exit and cancellation.
if [[ -e /lib/x86_64-linux-gnu/libgcc_s.so.1 ]]; then
    copy_in /lib/x86_64-linux-gnu/libgcc_s.so.1
fi
[[ -f /etc/ld.so.cache ]] && cp /etc/ld.so.cache "$ROOT/etc/ld.so.cache"
for f in ${FILES[@]+"${FILES[@]}"}; do
    case "$f" in /*) ;; *) f=$(pwd -P)/$f ;; esac
    copy_in "$f"
done

# shell-quote for busybox sh (single quotes; ' -> '\'')
q() { local s=${1//\'/\'\\\'\'}; printf "'%s'" "$s"; }

NONCE="$$-$RANDOM$RANDOM"
BEGIN_MARK="RUN-IN-GUEST-BEGIN-$NONCE"
STATUS_MARK="RUN-IN-GUEST-EXIT-STATUS-$NONCE="

{
    echo '#!/bin/busybox sh'
    echo 'export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root'
    echo '/bin/busybox mount -t devtmpfs devtmpfs /dev 2>/dev/null'
    echo 'exec 0</dev/console 1>/dev/console 2>&1'
    echo '/bin/busybox mount -t proc proc /proc'
    echo '/bin/busybox mount -t sysfs sysfs /sys'
    echo 'echo 0 > /proc/sys/kernel/printk 2>/dev/null'
    echo '[ -e /proc/sys/debug/exception-trace ] && echo 0 > /proc/sys/debug/exception-trace'
    echo '[ -e /proc/sys/kernel/print-fatal-signals ] && echo 0 > /proc/sys/kernel/print-fatal-signals'
    for e in ${ENVS[@]+"${ENVS[@]}"}; do
        printf 'export %s=%s\n' "${e%%=*}" "$(q "${e#*=}")"
    done
    echo 'cd /'
    echo "echo $BEGIN_MARK"
    # The program runs under an inner sh that restores stderr and execs it,
    # so init's own "Segmentation fault"-style job report goes to /dev/null.
    printf '%s' "/bin/busybox sh -c 'exec 2>&3 3>&-; exec \"\$@\"' sh $(q "$PROG")"
    for a in "$@"; do printf ' %s' "$(q "$a")"; done
    echo ' 3>&2 2>/dev/null </dev/null'
    echo 'st=$?'
    # make sure the marker starts on a fresh line even if the program's
    # output did not end with a newline (the host strips the prefix)
    echo "echo; echo $STATUS_MARK\$st"
    echo '/bin/busybox poweroff -f'
    echo 'echo o > /proc/sysrq-trigger'
    echo 'sleep 5'
} > "$ROOT/init"
chmod 755 "$ROOT/init"

if [[ $(id -u) -eq 0 ]]; then
    mknod -m 600 "$ROOT/dev/console" c 5 1 2>/dev/null || true
    mknod -m 666 "$ROOT/dev/null" c 1 3 2>/dev/null || true
fi

(cd "$ROOT" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet | gzip -1) \
    > "$WORK/initrd.gz" || fail "building the initramfs failed"

# ---------------------------------------------------------------- boot
CONSOLE="$WORK/console.log"
QERR="$WORK/qemu.err"
: > "$CONSOLE"
start=$(date +%s)
set +e
timeout -k 5 "$TIMEOUT" "$QEMU" \
    -accel tcg -cpu max -m 512M -smp 1 \
    -nodefaults -display none -no-reboot \
    -serial "file:$CONSOLE" -monitor none \
    -kernel "$KERNEL" -initrd "$WORK/initrd.gz" \
    -append "console=ttyS0 quiet loglevel=0 panic=-1 rdinit=/init" \
    </dev/null >"$QERR" 2>&1 &
QPID=$!
wait "$QPID"
qrc=$?
QPID=
set -e
elapsed=$(( $(date +%s) - start ))

# Relay the lines between the BEGIN marker and the status marker.
out=$(tr -d '\r' < "$CONSOLE" | awk -v b="$BEGIN_MARK" -v s="$STATUS_MARK" '
    !on && index($0, b) == 1 { on = 1; next }
    on && index($0, s) == 1  { print "STATUS " substr($0, length(s) + 1); got = 1; exit }
    on { lines[n++] = $0 }
    END {
        # the blank line echoed before the marker is ours, not the program
        if (got && n > 0 && lines[n-1] == "") n--
        for (i = 0; i < n; i++) print "OUT " lines[i]
    }')

status=
while IFS= read -r l; do
    case "$l" in
        "OUT "*) printf '%s\n' "${l#OUT }" ;;
        "STATUS "*) status=${l#STATUS } ;;
    esac
done <<<"$out"

if [[ -z "$status" || ! "$status" =~ ^[0-9]+$ ]]; then
    if [[ $qrc -eq 124 || $qrc -eq 137 ]]; then
        echo "run-in-guest: ERROR: guest timed out after ${TIMEOUT}s" >&2
    else
        echo "run-in-guest: ERROR: guest did not report an exit status (qemu exit $qrc after ${elapsed}s)" >&2
    fi
    if [[ -s "$QERR" ]]; then echo "--- qemu stderr:" >&2; tail -n 20 "$QERR" >&2; fi
    echo "--- guest console (last 40 lines):" >&2
    tr -d '\r' < "$CONSOLE" | tail -n 40 >&2
    exit 125
fi
if [[ -n "${FLEXOS_GUEST_VERBOSE:-}" ]]; then
    echo "--- guest console:" >&2
    tr -d '\r' < "$CONSOLE" >&2
    echo "run-in-guest: status $status after ${elapsed}s" >&2
fi
exit "$status"
