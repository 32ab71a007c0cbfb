#!/bin/sh
# pkgconfig.sh CC PKG_CONFIG PKGCONFIG_DIR SOURCE OUTPUT
# Builds SOURCE the way a project without CMake would, with the flexos.pc
# found in PKGCONFIG_DIR, and runs it.
set -eu
cc=$1 pkg_config=$2
PKG_CONFIG_PATH=$3
export PKG_CONFIG_PATH
source=$4 output=$5

"$pkg_config" --atleast-version=0.1 flexos
flags=$("$pkg_config" --cflags --libs flexos)
echo "pkg-config --cflags --libs flexos: $flags"
# shellcheck disable=SC2086 # flags are words
"$cc" -o "$output" "$source" $flags
exec "$output"
