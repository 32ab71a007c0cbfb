#!/usr/bin/env bash
# Installs the Debian packages FlexOS needs to build and test, then fetches
# the Debian kernel the hardware-key tests boot under QEMU (into
# ${FLEXOS_GUEST_CACHE:-~/.cache/flexos-guest}; nothing is installed on the
# host from it).  Run as root or with sudo available.
set -euo pipefail

packages=(
	gcc make cmake pkg-config        # build
	ninja-build                      # the Ninja generators (package.matrix-*)
	libunwind-dev libdw-dev          # fault reports: backtraces, file:line
	libseccomp-dev                   # the system-call policy
	libelf-dev                       # flexos-gen reads objects
	zlib1g-dev                       # the zlib example: Debian's libz.a
	libbz2-dev libyaml-dev libpcre2-dev libjpeg-dev libzstd-dev  # tests/archives
	libcriterion-dev python3         # unit tests, report checks
	clang libclang-rt-14-dev         # fuzzing flexos-gen; SPLIT_STACKS; the clang builds (CI, package.matrix-*)
	binutils                         # nm, readelf, objdump in gen tests
	qemu-system-x86 busybox-static cpio  # hardware protection keys, in a guest
	musl-tools musl-dev              # the C library of baremetal images
	grub-pc-bin grub-common xorriso  # baremetal images booted by GRUB (iso.sh)
	gnuplot-nox                      # flexos-explore's plots
	gdb                              # backtraces across gates (tests)
	graphviz                         # flexos-gen draws report.svg (dot)
	valgrind                         # the runtime's client requests; debug.valgrind.* tests
)

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo="sudo"
fi
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "install-deps: installing ${missing[*]}"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
fi
"$(dirname "$0")/../tests/guest/fetch-kernel.sh" >/dev/null
echo "install-deps: ready"
