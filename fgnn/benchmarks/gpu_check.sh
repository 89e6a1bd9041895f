#!/usr/bin/env bash
# GPU check of the batch loader thread (docs/performance.md, "Batches prepared ahead"): one go on a
# lent GPU, about 6 minutes on an H100 / H200 (each step has a time limit; all of them: 8.7 minutes).
#
#   1. python -m fgnn.benchmarks.gpu on full DIGINETICA, SR-GNN and FGNN: seconds per epoch,
#      loader_wait_ms (the mean time the loop waited for its next batch) and the batch split;
#   2. fgnn train, SR-GNN, 3 epochs on the device, seed 0, batch 100: its test HR@20 / MRR@20 after
#      each epoch must equal the CPU run's to 0.1;
#   3. the SR-GNN epoch of step 1 again with --prefetch-depth 0 (every batch built in the loop, as
#      before the thread), capped at 30 s: the before / after on the same GPU.
#
# Usage: fgnn/benchmarks/gpu_check.sh [--dataset DIR] [--out DIR] [--device cuda|cpu|auto]
#            [--max-batches N] [--train-pairs N] [--test-pairs N]
#
# The CPU run of step 2: with all training pairs it is the run recorded in docs/fgnn-study.md (SR-GNN
# refit on all 719,470 pairs, seed 0, 2-core CPU; epochs 1-3 below; 9 CPU minutes an epoch, too long to
# rerun here). With --train-pairs N (a subset, for a quick try), the CPU run is made here first, on the
# same subset. A try on a CPU with tiny limits (a minute or two):
#
#   fgnn/benchmarks/gpu_check.sh --device cpu --max-batches 5 --train-pairs 1000 --test-pairs 300 --out /tmp/gc
#
# Every result lands in OUT (default bench-out/gpu-check-loader): gpu-check.json of steps 1 and 3,
# step 2's config / status / metrics (the run folders themselves, with their checkpoints, are
# temporary), each step's log and summary.txt. --max-batches N also times the batch split on one
# batch in 2. Exit status 1 when a step failed or a figure differed.
set -uo pipefail

cd "$(dirname "$0")/../.." || exit 2
PY=${PYTHON:-python}
DATASET=../shared/data/diginetica-srgnn
[ -d "$DATASET" ] || DATASET=.gpudata/diginetica-srgnn
OUT=bench-out/gpu-check-loader
DEVICE=cuda
MAX_BATCHES=""
TRAIN_PAIRS=""
TEST_PAIRS=""
while [ $# -gt 0 ]; do
    case "$1" in
        --dataset) DATASET=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        --device) DEVICE=$2; shift 2 ;;
        --max-batches) MAX_BATCHES=$2; shift 2 ;;
        --train-pairs) TRAIN_PAIRS=$2; shift 2 ;;
        --test-pairs) TEST_PAIRS=$2; shift 2 ;;
        -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
mkdir -p "$OUT"
SUMMARY="$OUT/summary.txt"
: > "$SUMMARY"
FAILED=()
say() { echo "$*" | tee -a "$SUMMARY"; }
step() {  # step NAME LIMIT_S COMMAND...: run it under a time limit, keep going when it fails
    local name=$1 limit=$2 t0=$SECONDS
    shift 2
    say "== $name (limit ${limit}s): $*"
    timeout "$limit" "$@" 2>&1 | tee "$OUT/$name.log"
    local rc=${PIPESTATUS[0]}
    say "== $name: exit $rc after $((SECONDS - t0))s"
    [ "$rc" -eq 0 ] || FAILED+=("$name")
}
RUNS=$(mktemp -d "${TMPDIR:-/tmp}/fgnn-gpu-check-XXXXXX")  # run folders (checkpoints: 50+ MB each) stay out of OUT
trap 'rm -rf "$RUNS"' EXIT
keep_run() {  # the run's small files into OUT
    mkdir -p "$OUT/$1"
    cp "$RUNS/$1"/{config.json,status.json,metrics.jsonl} "$OUT/$1/" 2>/dev/null || true
}

say "gpu_check.sh: dataset $DATASET, device $DEVICE, out $OUT, $(date -u '+%Y-%m-%d %H:%M:%S') UTC"
limits=()
[ -n "$MAX_BATCHES" ] && limits+=(--max-batches "$MAX_BATCHES" --sample-every 2)
subset=()
[ -n "$TRAIN_PAIRS" ] && subset+=(--max-train-pairs "$TRAIN_PAIRS")
[ -n "$TEST_PAIRS" ] && subset+=(--max-test-pairs "$TEST_PAIRS")
eval_limit=()
[ -n "$TEST_PAIRS" ] && eval_limit+=(--max-eval-pairs "$TEST_PAIRS")

# 1. per-epoch seconds and loader_wait_ms, SR-GNN (a whole epoch) and FGNN (capped at 60 s)
step 1-gpu-check 200 "$PY" -m fgnn.benchmarks.gpu --dataset "$DATASET" --device "$DEVICE" --models srgnn fgnn \
    --skip round_trip ddp --out "$OUT/prefetch" "${limits[@]}" "${eval_limit[@]}"

# 2. three SR-GNN epochs on the device; their test figures against the CPU run's
train_args=(train --dataset "$DATASET" --model srgnn --epochs 3 --batch-size 100 --seed 0 --quiet "${subset[@]}")
if [ -n "$TRAIN_PAIRS" ] || [ -n "$TEST_PAIRS" ]; then  # a subset: the CPU run is made here, on the same pairs
    step 2a-cpu-reference 600 "$PY" -m fgnn "${train_args[@]}" --device cpu --run-dir "$RUNS/srgnn-3-epochs-cpu-reference"
    keep_run srgnn-3-epochs-cpu-reference
    REFERENCE="$RUNS/srgnn-3-epochs-cpu-reference"
else
    REFERENCE=recorded
fi
step 2b-train-3-epochs 240 "$PY" -m fgnn "${train_args[@]}" --device "$DEVICE" --run-dir "$RUNS/srgnn-3-epochs-on-$DEVICE"
keep_run "srgnn-3-epochs-on-$DEVICE"
"$PY" - "$RUNS/srgnn-3-epochs-on-$DEVICE" "$REFERENCE" <<'EOF' 2>&1 | tee -a "$SUMMARY"
import sys
from pathlib import Path

from fgnn.runs.folders import read_metrics

# docs/fgnn-study.md, section 6, "Refit": SR-GNN on all 719,470 training pairs, seed 0, batch 100,
# lr 1e-3 (x0.1 after epoch 3), 2-core CPU; test HR@20 / MRR@20 after epochs 1-3
RECORDED = [(43.27, 13.51), (46.91, 15.10), (47.79, 15.52)]
TOLERANCE = 0.1


def evals(run):
    return [r for r in read_metrics(Path(run)) if r.get("kind") == "eval"]


run, reference = sys.argv[1], sys.argv[2]
rows = evals(run)
ref = RECORDED if reference == "recorded" else [(r["hit@20"], r["mrr@20"]) for r in evals(reference)]
print(f"SR-GNN per-epoch test figures, {run} against the CPU run ({reference}), to {TOLERANCE}:")
ok = len(rows) == len(ref) == 3
for e, (row, (hit, mrr)) in enumerate(zip(rows, ref), 1):
    d_hit, d_mrr = row["hit@20"] - hit, row["mrr@20"] - mrr
    same = abs(d_hit) <= TOLERANCE and abs(d_mrr) <= TOLERANCE
    ok &= same
    print(f"  epoch {e}: HR@20 {row['hit@20']:.2f} vs {hit:.2f} ({d_hit:+.2f}), MRR@20 {row['mrr@20']:.2f} vs "
          f"{mrr:.2f} ({d_mrr:+.2f}) {'same' if same else 'DIFFERENT'}; train {row['train_s']:.1f} s, "
          f"loader wait {row.get('loader_wait_s', float('nan')):.2f} s")
if len(rows) != 3 or len(ref) != 3:
    print(f"  expected 3 epochs on each side, got {len(rows)} and {len(ref)}")
print("  SAME to 0.1 on every epoch" if ok else "  NOT the same")
sys.exit(0 if ok else 1)
EOF
[ "${PIPESTATUS[0]}" -eq 0 ] || FAILED+=(2c-compare)

# 3. before: the same SR-GNN epoch with every batch built in the loop, capped at 30 s
step 3-gpu-check-in-loop 80 "$PY" -m fgnn.benchmarks.gpu --dataset "$DATASET" --device "$DEVICE" --models srgnn \
    --prefetch-depth 0 --epoch-cap-s 30 --skip round_trip ddp --out "$OUT/in-loop" "${limits[@]}" "${eval_limit[@]}"

"$PY" - "$OUT" <<'EOF' 2>&1 | tee -a "$SUMMARY"
import json
import sys
from pathlib import Path

out = Path(sys.argv[1])
print("train epochs (batch 100): s/epoch, mean batch ms, loader_wait_ms (share of the batch), graph / h2d ms")
for label, folder in (("thread (depth 2)", "prefetch"), ("in the loop", "in-loop")):
    path = out / folder / "gpu-check.json"
    if not path.exists():
        print(f"  {label}: no {path}")
        continue
    parts = json.loads(path.read_text())["parts"]
    for name in ("srgnn", "fgnn"):
        r = parts.get(f"train_epoch_{name}")
        if not r or "error" in r:
            continue
        split = r.get("batch_split_ms")
        host = f"graph {split['graph']:.2f} / h2d {split['h2d']:.2f} ms" if split else "split not sampled"
        print(f"  {label:17s} {name}: {r['s_per_epoch']:.1f} s/epoch ({r['s_per_epoch_is']}), "
              f"{r['batch_ms_unsynchronised_mean']:.2f} ms/batch, loader_wait_ms {r['loader_wait_ms']:.3f} "
              f"({100 * r['loader_wait_share']:.1f} %), {host}")
EOF

if [ ${#FAILED[@]} -eq 0 ]; then
    say "gpu_check.sh: every step ran, in ${SECONDS}s"
else
    say "gpu_check.sh: FAILED ${FAILED[*]} (${SECONDS}s)"
    exit 1
fi
