#!/usr/bin/env python3
"""check-report.py OUT_DIR: checks what flexos-gen decided for the fixture
(tests/gen/fixtures): the JSON report, the text report, and the rewritten
objects.  Fails with a message naming the first wrong decision."""
import json, os, re, subprocess, sys

out = sys.argv[1]
rep = json.load(open(os.path.join(out, "report.json")))
text = open(os.path.join(out, "report.txt")).read()

def check(cond, what):
    if not cond:
        sys.exit("check-report: " + what)

comps = {c["name"]: c for c in rep["compartments"]}
check(set(comps) == {"host", "lib"}, "compartments: %s" % list(comps))
check(comps["host"]["default"] and not comps["lib"]["default"], "default")
entry = {e["function"] for e in comps["lib"]["entry_points"]}
check(entry == {"lib_apply", "lib_value"}, "lib entry points: %s" % entry)
cbs = {e["function"] for e in comps["host"]["callbacks"]}
check("twice" in cbs, "host callback 'twice' missing: %s" % cbs)
check({"printf", "free", "malloc"} <= set(comps["host"]["tcb_calls"]),
      "host TCB calls: %s" % comps["host"]["tcb_calls"])

pairs = {(g["from"], g["to"]): g for g in rep["gates"]}
check(set(pairs) == {("host", "lib")}, "gate pairs: %s" % list(pairs))
fns = {f["function"]: f for f in pairs[("host", "lib")]["functions"]}
check(set(fns) == {"lib_apply", "lib_value"}, "gated: %s" % list(fns))
check(fns["lib_apply"]["stub"] == "flexos_autogate__lib_apply", "stub name")
check(all(re.search(r"host\.c:\d+$", s["where"])
          for f in fns.values() for s in f["sites"]),
      "call sites without file:line: %s" % fns)

shared = {s["symbol"]: s for s in rep["shared"]}
c = shared.get("lib_counter")
check(c and c["why"] == "cross-compartment" and set(c["users"]) == {"host", "lib"},
      "lib_counter not shared across: %s" % c)
check("lib_neighbour" in c["moves_with"], "over-sharing not reported: %s" % c)
check(shared.get("lib_lonely", {}).get("why") == "marked", "lib_lonely")
check("lib_table_data" not in shared, "private data shared")
heap = rep["heap_sites"]
check(len(heap) == 1 and heap[0]["to"] == "flexos_shared_malloc"
      and "host.c" in heap[0]["where"], "heap sites: %s" % heap)

warn = [w["where"] + ": " + w["message"] for w in rep["warnings"]]
check(any("'lib_lonely' is marked FLEXOS_SHARED but only compartment 'lib'"
          in w for w in warn), "no warning for lib_lonely: %s" % warn)
check(any(re.search(r"host\.c:\d+: 'lib_counter' of compartment 'lib' is used "
                    r"by compartment 'host' but not marked FLEXOS_SHARED", w)
          for w in warn), "no warning for lib_counter: %s" % warn)
for needle in ["host -> lib: 2 functions", "lib_apply via flexos_autogate__lib_apply",
               "moves with it: lib_neighbour", "warnings: 2"]:
    check(needle in text, "text report lacks '%s'" % needle)

# The copies: the host calls the stub, lib's data moved, stubs generated.
def nm(path):
    return subprocess.run(["nm", path], capture_output=True, text=True,
                          check=True).stdout
host = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(out, "rewritten", "objects"))
        for f in fs if f.startswith("host")]
check(len(host) == 1, "rewritten host object: %s" % host)
syms = nm(host[0])
check(re.search(r"U flexos_autogate__lib_apply", syms), "host still calls lib_apply")
check(re.search(r"U flexos_shared_malloc", syms), "malloc not redirected")
check(re.search(r"U flexos_autogate__host__twice__\d+", syms), "callback not redirected")
check(re.search(r"t twice", syms) and re.search(r"T flexos_autogate_impl__twice__\d+", syms),
      "static callback alias missing")
libs = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(out, "rewritten", "archives"))
        for f in fs]
check(len(libs) == 1 and libs[0].endswith("/liblib.a"), "archive copy: %s" % libs)
sections = subprocess.run(["readelf", "-SW", libs[0]], capture_output=True,
                          text=True, check=True).stdout
check(re.search(r"\] \.flexos\.shared +PROGBITS", sections)
      and not re.search(r"\] \.bss ", sections), "lib_counter's .bss not moved")
stubs = open(os.path.join(out, "rewritten", "autogates.S")).read()
check(re.search(r"lea\t1f\(%rip\), %r11\n\tjmp\tflexos__gate\n", stubs)
      and re.search(r"\.balign 64\n1:\t\.quad lib_apply, flexos_lib_lib, 0, 0x1\n\t\.quad 0, 0, 0, 0\n", stubs)
      and ".cfi_startproc" in stubs, "stub shape")
print("check-report: ok")
