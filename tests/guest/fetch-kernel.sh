#!/usr/bin/env bash
# fetch-kernel.sh [CACHE_DIR]
#
# Download Debian's current amd64 kernel package (the one linux-image-amd64
# depends on) with `apt-get download`, unpack it with `dpkg-deb -x` and keep
# only the compressed kernel image and its config in CACHE_DIR/kernel/.
# Idempotent and safe to run concurrently (flock on CACHE_DIR/.lock; the
# kernel directory is assembled in a temp dir and moved into place).
# Prints the path of the kernel image (CACHE_DIR/kernel/vmlinuz) on stdout.
# Does NOT install anything on the host.
#
# Exit status: 0 ok, 1 failure (reason on stderr).
set -euo pipefail

CACHE_DIR=${1:-${FLEXOS_GUEST_CACHE:-${HOME:-/tmp}/.cache/flexos-guest}}
KDIR="$CACHE_DIR/kernel"

die() { echo "fetch-kernel: $*" >&2; exit 1; }

if [[ -f "$KDIR/vmlinuz" ]]; then
    echo "$KDIR/vmlinuz"
    exit 0
fi

for tool in apt-get apt-cache dpkg-deb flock; do
    command -v "$tool" >/dev/null 2>&1 || die "required tool '$tool' not found (Debian host needed)"
done

mkdir -p "$CACHE_DIR" || die "cannot create cache dir $CACHE_DIR"
exec 9>"$CACHE_DIR/.lock" || die "cannot open lock file $CACHE_DIR/.lock"
flock 9

# Another process may have finished while we waited for the lock.
if [[ -f "$KDIR/vmlinuz" ]]; then
    echo "$KDIR/vmlinuz"
    exit 0
fi

apt_updated=0
apt_update() {
    if [[ $apt_updated -eq 0 && $(id -u) -eq 0 ]]; then
        echo "fetch-kernel: running apt-get update" >&2
        apt-get update -qq >&2 || true
        apt_updated=1
        return 0
    fi
    return 1
}

kernel_pkg() {
    apt-cache depends linux-image-amd64 2>/dev/null \
        | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}

pkg=$(kernel_pkg || true)
if [[ -z "$pkg" ]] && apt_update; then
    pkg=$(kernel_pkg || true)
fi
[[ -n "$pkg" ]] || die "cannot determine kernel package (apt-cache depends linux-image-amd64 gave nothing; run 'apt-get update')"

tmp=$(mktemp -d "$CACHE_DIR/tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "fetch-kernel: downloading $pkg" >&2
if ! (cd "$tmp" && apt-get download -qq "$pkg" >&2 2>"$tmp/apt.err"); then
    if apt_update; then
        # the package name may have changed after the update
        pkg=$(kernel_pkg || true)
        [[ -n "$pkg" ]] || die "cannot determine kernel package after apt-get update"
        (cd "$tmp" && apt-get download -qq "$pkg" >&2 2>"$tmp/apt.err") \
            || { cat "$tmp/apt.err" >&2; die "apt-get download $pkg failed"; }
    else
        cat "$tmp/apt.err" >&2
        die "apt-get download $pkg failed"
    fi
fi

deb=$(ls "$tmp"/*.deb 2>/dev/null | head -n1)
[[ -n "$deb" ]] || die "apt-get download produced no .deb"

# Only ./boot is needed (the modules are ~400 MB unpacked and the guest uses
# none of them: the initramfs, serial console and devtmpfs are built in).
mkdir "$tmp/root"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp/root" --wildcards './boot/*' \
    || die "unpacking ./boot from $deb failed"
rm -f "$deb"

vmlinuz=$(ls "$tmp"/root/boot/vmlinuz-* 2>/dev/null | head -n1)
config=$(ls "$tmp"/root/boot/config-* 2>/dev/null | head -n1)
[[ -n "$vmlinuz" ]] || die "no boot/vmlinuz-* in $pkg"

if [[ -n "$config" ]] && ! grep -q '^CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS=y' "$config"; then
    die "$pkg is built without CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS=y"
fi

mkdir "$tmp/kernel"
cp "$vmlinuz" "$tmp/kernel/vmlinuz"
[[ -n "$config" ]] && cp "$config" "$tmp/kernel/config"
echo "${vmlinuz##*/vmlinuz-} ($pkg)" > "$tmp/kernel/VERSION"

rm -rf "$KDIR"
mv "$tmp/kernel" "$KDIR"
echo "fetch-kernel: kernel ready: $KDIR/vmlinuz ($(cat "$KDIR/VERSION"))" >&2
echo "$KDIR/vmlinuz"
