#!/usr/bin/env bash
# Run the browser and AppTest tests N times in a row with K CPU-burning processes beside them, and
# print how often each test passed: the way to find a test that acts or counts before the page has
# drawn what it asserts (docs/testing.md).
#
#   bash tests/stress.sh                 # 5 runs, 2 burners, tests/browser and tests/pages
#   bash tests/stress.sh -n 3 -k 1 tests/browser/test_runs_delete.py
#
# Exits 0 only when every test passed in every run. Each run's log and JUnit XML stay in the folder
# printed at the start (failed browser tests also leave test-artifacts/failures/<test>/).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

N=5
K=2
while getopts "n:k:h" opt; do
  case "$opt" in
    n) N=$OPTARG ;;
    k) K=$OPTARG ;;
    *) sed -n '2,10p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
if ! [[ "$N" =~ ^[1-9][0-9]{0,2}$ && "$K" =~ ^[0-9]{1,2}$ ]]; then
  echo "error: -n takes 1..999 runs and -k 0..99 burners (got -n '$N' -k '$K')" >&2
  exit 2
fi
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(tests/browser tests/pages)
PY=${PYTHON:-python}

out=$(mktemp -d -t fgnn-stress-XXXXXX)
echo "stress: ${N} runs of ${targets[*]} with ${K} CPU burners; logs in ${out}"
burners=()
stop_burners() { [ ${#burners[@]} -gt 0 ] && kill "${burners[@]}" 2>/dev/null; wait 2>/dev/null; }
trap stop_burners EXIT
for _ in $(seq "$K"); do
  "$PY" -c 'while True: pass' &
  burners+=($!)
done

failed_runs=0
for i in $(seq "$N"); do
  t0=$(date +%s)
  "$PY" -m pytest "${targets[@]}" -p no:cacheprovider -q -rf --junitxml="${out}/run-${i}.xml" >"${out}/run-${i}.log" 2>&1
  rc=$?
  [ "$rc" -ne 0 ] && failed_runs=$((failed_runs + 1))
  echo "run ${i}/${N}: exit ${rc} in $(( $(date +%s) - t0 )) s: $(tail -n 1 "${out}/run-${i}.log")"
done
stop_burners
trap - EXIT

"$PY" - "$out" "$N" <<'EOF'
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

out, n = Path(sys.argv[1]), int(sys.argv[2])
passed, skipped, seen = Counter(), Counter(), Counter()
for xml in sorted(out.glob("run-*.xml")):
    for case in ET.parse(xml).getroot().iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        seen[name] += 1
        tags = {child.tag for child in case}
        if "skipped" in tags:
            skipped[name] += 1
        elif not tags & {"failure", "error"}:
            passed[name] += 1
width = max((len(k) for k in seen), default=10)
print(f"\n{'test':<{width}}  passed")
for name in sorted(seen):
    mark = "" if passed[name] + skipped[name] == n else "   <-- not every run"
    note = f" ({skipped[name]} skipped)" if skipped[name] else ""
    print(f"{name:<{width}}  {passed[name]}/{n}{note}{mark}")
bad = sum(1 for name in seen if passed[name] + skipped[name] != n)
print(f"\n{len(seen)} tests, {len(seen) - bad} passed (or skipped) in all {n} runs, {bad} did not")
EOF
[ "$failed_runs" -eq 0 ]
