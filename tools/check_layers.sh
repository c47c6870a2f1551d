#!/usr/bin/env bash
# Checks the engine's layering (design.md, "Shape"): a module includes only modules to
# its left. Prints every include edge from a lower module to a higher one (or between
# two modules of the same rank) and exits 1 if there is any that tools/layers-allowed.txt
# does not list.
#
#   tools/check_layers.sh [--graph] [--root DIR] [--allowed FILE]
#
#   --graph     also print every module-to-module edge with its number of includes
#
# Every file under engine/MODULE/ belongs to MODULE; cli/ is the module cli; a public
# header (engine/include/liaison/*.h) belongs to the module in the table below, and a
# public header missing from it is an error. Unit tests (*_test.cc and test support
# headers) may include any module and are not checked. The allow-list holds lines
# `from-file -> included-header`; '#' starts a comment.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
allowed=""
graph=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --graph) graph=1 ;;
    --root) root="$2"; shift ;;
    --allowed) allowed="$2"; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "check_layers: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[[ -n "$allowed" ]] || allowed="$root/tools/layers-allowed.txt"

exec python3 - "$root" "$allowed" "$graph" <<'PY'
import os, re, sys

root, allowed_path, graph = sys.argv[1], sys.argv[2], sys.argv[3] == "1"

# The layering, left to right (design.md). Modules of one rank include neither each other.
RANKS = [["base"], ["store"], ["clock"], ["pki"], ["capture"], ["merge"], ["protocol"],
         ["audit"], ["sync", "hub"], ["net"], ["domain"], ["cli"]]
RANK = {m: i for i, ms in enumerate(RANKS) for m in ms}

# The owning module of each public header.
PUBLIC = {
    "status.h": "base",
    "store.h": "store", "json.h": "store", "digest.h": "store", "tables.h": "store",
    "hlc.h": "clock", "ids.h": "clock",
    "pki.h": "pki",
    "capture.h": "capture", "changelog.h": "capture", "change.h": "capture",
    "migrations.h": "capture", "replica.h": "capture",
    "merge.h": "merge", "merger.h": "merge", "log_position.h": "merge",
    "conflicts.h": "merge", "cleaning.h": "merge",
    "wire.h": "protocol", "bundle.h": "protocol", "batch_message.h": "protocol",
    "retention_horizon.h": "protocol", "sync_summary.h": "protocol",
    "audit.h": "audit",
    "office_sync.h": "sync",
    "hub.h": "hub", "retention.h": "hub",
    "net.h": "net",
}

errors = []

def module_of(rel):
    parts = rel.split("/")
    if parts[0] == "cli":
        return "cli"
    if parts[0] != "engine" or len(parts) < 3:
        return None
    if parts[1] == "include":
        name = parts[-1]
        if name not in PUBLIC:
            errors.append(f"{rel}: a public header with no owning module (add it to PUBLIC)")
            return None
        return PUBLIC[name]
    if parts[1] not in RANK:
        errors.append(f"{rel}: a module the layering does not name")
        return None
    return parts[1]

def is_test(rel):
    base = os.path.basename(rel)
    return base.endswith("_test.cc") or "_test_support" in base or "/testdata/" in rel

def target_of(header, including_rel):
    if header.startswith("liaison/"):
        return "engine/include/" + header
    first = header.split("/")[0]
    if first in RANK and os.path.exists(os.path.join(root, "engine", header)):
        return "engine/" + header
    local = os.path.join(os.path.dirname(including_rel), header)
    if os.path.exists(os.path.join(root, local)):
        return os.path.normpath(local)
    return None

files = []
for top in ("engine", "cli"):
    for dirpath, _, names in os.walk(os.path.join(root, top)):
        for n in names:
            if n.endswith((".h", ".cc")):
                rel = os.path.relpath(os.path.join(dirpath, n), root)
                if not is_test(rel):
                    files.append(rel)
files.sort()

include_re = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
edges = {}      # (from module, to module) -> count
backward = []   # (file, header, from module, to module)
for rel in files:
    src = module_of(rel)
    if src is None:
        continue
    with open(os.path.join(root, rel), encoding="utf-8") as f:
        for line in f:
            m = include_re.match(line)
            if not m:
                continue
            target = target_of(m.group(1), rel)
            if target is None:
                continue  # a generated or system header
            dst = module_of(target)
            if dst is None or dst == src:
                continue
            edges[(src, dst)] = edges.get((src, dst), 0) + 1
            if RANK[dst] >= RANK[src]:
                backward.append((rel, m.group(1), src, dst))

allowed = set()
if os.path.exists(allowed_path):
    with open(allowed_path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                a, _, b = line.partition("->")
                allowed.add((a.strip(), b.strip()))

if graph:
    print("module edges (from -> to: includes); '!' marks an edge against the layering")
    for (a, b), n in sorted(edges.items(), key=lambda e: (RANK[e[0][0]], e[0][0], RANK[e[0][1]], e[0][1])):
        mark = "!" if RANK[b] >= RANK[a] else " "
        print(f" {mark} {a:8} -> {b:8} {n}")
    print()

found = [(f, h, a, b) for (f, h, a, b) in backward if (f, h) not in allowed]
kept = [(f, h, a, b) for (f, h, a, b) in backward if (f, h) in allowed]
present = {(f, h) for (f, h, _, _) in backward}
for e in errors:
    print("error: " + e)
for f, h, a, b in found:
    print(f"{f} -> {h}   ({a} includes {b})")
for f, h, a, b in kept:
    print(f"allowed: {f} -> {h}   ({a} includes {b})")
for f, h in sorted(allowed - present):
    print(f"note: {allowed_path} lists {f} -> {h}, which is gone: remove the line")
if found or errors:
    print(f"{len(found)} include(s) against the layering, {len(errors)} error(s)")
    sys.exit(1)
print(f"layering holds: no include against it ({len(kept)} allowed)")
PY
