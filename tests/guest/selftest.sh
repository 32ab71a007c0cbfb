#!/usr/bin/env bash
# selftest.sh [--cache DIR]: check run-in-guest.sh itself (needs gcc).
# Boots the guest 4 times (~6 s each under TCG). Exit 0 all passed, 1 a check
# failed, 77 guest infrastructure unavailable (same SKIP rule as run-in-guest).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RUN=("$HERE/run-in-guest.sh" "$@")
CC=${CC:-gcc}
T=$(mktemp -d "${TMPDIR:-/tmp}/guest-selftest.XXXXXX")
trap 'rm -rf "$T"' EXIT

cat > "$T/probe.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
    const char *m = argc > 1 ? argv[1] : "";
    if (!strcmp(m, "env")) { const char *v = getenv("FOO"); printf("FOO=%s\n", v ? v : "(unset)"); return v && !strcmp(v, "bar") ? 0 : 1; }
    if (!strcmp(m, "exit")) return atoi(argv[2]);
    if (!strcmp(m, "segv")) { printf("about to crash\n"); fflush(stdout); *(volatile int *)0 = 1; }
    return 99;
}
EOF
"$CC" -O2 -o "$T/pkey-probe" "$HERE/pkey-probe.c"
"$CC" -O0 -o "$T/probe" "$T/probe.c"

pass=0 fail=0
check() { # check NAME EXPECTED_RC EXPECTED_OUTPUT_SUBSTRING RUN-IN-GUEST-ARGS...
    local name=$1 want=$2 grepfor=$3 out rc
    shift 3
    set +e
    out=$("${RUN[@]}" "$@" 2>"$T/err")
    rc=$?
    set -e
    if [[ $rc -eq 77 ]]; then cat "$T/err" >&2; exit 77; fi
    if [[ $rc -eq $want && "$out" == *"$grepfor"* ]]; then
        echo "PASS: $name (rc=$rc)"; pass=$((pass + 1))
    else
        echo "FAIL: $name: rc=$rc (want $want), output:"; printf '%s\n' "$out"; cat "$T/err"
        fail=$((fail + 1))
    fi
}

check "pkey fault in guest" 0 "pkey fault caught: key" -- "$T/pkey-probe"
check "--env reaches program" 0 "FOO=bar" --env FOO=bar -- "$T/probe" env
check "exit status 86" 86 "" -- "$T/probe" exit 86
check "SIGSEGV -> 139" 139 "about to crash" -- "$T/probe" segv

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
