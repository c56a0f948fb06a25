#!/usr/bin/env bash
# The feedback experiment of EVALUATION.md: an analyst marks the top-20 false positives of a day
# as low risk (Apache Spot's flow feedback file, severity 3); how many of them come back in the
# next day's top 100, with and without that feedback? Both days share one network (same hosts,
# sites, backups, IT scanner) and differ in traffic and attacks.
# Usage: benches/feedback.sh [RECORDS] [SEEDS...]   (default: 150000 records, seeds 1..5)
# SPOT=path/to/spot reuses a built binary; otherwise a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-150000}
shift || true
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(1 2 3 4 5)
out=benches/out/feedback
mkdir -p "$out"
if [ -z "${SPOT:-}" ]; then
  cargo build -q --release --workspace --bins
  SPOT=target/release/spot
fi
spot=$SPOT
echo "| seed | marked host pairs | marked pairs back in next day's top 100: without → with feedback | false positives in next day's top 100: without → with | next day AP: without → with | attack kinds in top 1%: without → with |"
echo "|---|---|---|---|---|---|"
for seed in "${seeds[@]}"; do
  d1="$out/day1-$seed.parquet"; d2="$out/day2-$seed.parquet"
  "$spot" generate flow --records "$records" --seed "$seed" --network-seed "$seed" --out "$d1" 2>/dev/null
  "$spot" generate flow --records "$records" --seed $((seed + 1000)) --network-seed "$seed" --out "$d2" 2>/dev/null
  "$spot" ml flow --input "$d1" --out "$out/r1-$seed.csv" --seed "$seed" --max-results 3000 2>/dev/null
  python3 - "$out/r1-$seed.csv" "$out/feedback-$seed.tsv" <<'PY'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if not r["attack"]][:20]
with open(sys.argv[2], "w") as f:
    f.write("sev\ttstart\tsrcIP\tdstIP\tsport\tdport\tipkt\tibyt\tproto\n")
    for r in rows:
        f.write("\t".join(["3", r["treceived"], r["sip"], r["dip"], r["sport"], r["dport"], r["ipkt"], r["ibyt"], r["proto"]]) + "\n")
PY
  "$spot" ml flow --input "$d2" --out "$out/r2-$seed.csv" --seed "$seed" --max-results 3000 2>/dev/null
  "$spot" ml flow --input "$d2" --out "$out/r2fb-$seed.csv" --seed "$seed" --max-results 3000 \
    --feedback "$out/feedback-$seed.tsv" 2>/dev/null
  "$spot" eval --labels "$d2" "$out/r2-$seed.csv" > "$out/e2-$seed.txt"
  "$spot" eval --labels "$d2" "$out/r2fb-$seed.csv" > "$out/e2fb-$seed.txt"
  python3 - "$seed" "$out/feedback-$seed.tsv" "$out/r2-$seed.csv" "$out/r2fb-$seed.csv" "$out/e2-$seed.txt" "$out/e2fb-$seed.txt" <<'PY'
import csv, re, sys
seed, fb, r2, r2fb, e2, e2fb = sys.argv[1:]
pair = lambda a, b: tuple(sorted((a, b)))
marked = {pair(r["srcIP"], r["dstIP"]) for r in csv.DictReader(open(fb), delimiter="\t")}
def back(path):
    top = list(csv.DictReader(open(path)))[:100]
    return len(marked & {pair(r["sip"], r["dip"]) for r in top}), sum(1 for r in top if not r["attack"])
def ev(path):
    t = open(path).read()
    return re.search(r"average precision ([0-9.]+)", t).group(1), re.search(r"top 1%: (\d+ of \d+)", t).group(1)
(a0, k0), (a1, k1) = ev(e2), ev(e2fb)
(b0, f0), (b1, f1) = back(r2), back(r2fb)
print(f"| {seed} | {len(marked)} | {b0} → {b1} | {f0} → {f1} | {a0} → {a1} | {k0} → {k1} |")
PY
done
