#!/usr/bin/env bash
# Detection quality of both modes on labeled generated proxy days, several seeds.
# Usage: benches/evaluate_proxy.sh [REQUESTS] [SEEDS...]   (default: 60000 requests, seeds 1..5)
# SPOT=path/to/spot picks the binary (default target/release/spot).
# Prints a Markdown table (the one in EVALUATION.md).
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-60000}
shift || true
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(1 2 3 4 5)
SPOT=${SPOT:-target/release/spot}
out=benches/out/evaluate_proxy
mkdir -p "$out"
kinds=(c2_beacon exfiltration long_uri malware_download)
echo "| seed | requests | mode | AP | kinds in top 0.1% | kinds in top 1% | c2_beacon | exfiltration | long_uri | malware_download |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for seed in "${seeds[@]}"; do
  day="$out/day-$seed"
  "$SPOT" generate proxy --requests "$requests" --seed "$seed" --out "$day" 2>/dev/null
  for mode in spot combined; do
    res="$out/$mode-$seed.csv"
    "$SPOT" ml proxy --mode "$mode" --input "$day/proxy.log" --top-domains "$day/top-domains.csv" \
      --out "$res" --seed "$seed" --max-results 3000 2>/dev/null
    "$SPOT" eval --labels "$day/labels.csv" "$res" > "$out/$mode-$seed.txt"
    python3 - "$out/$mode-$seed.txt" "$seed" "$mode" "${kinds[@]}" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
total = re.search(r"records (\d+)", text).group(1)
ap = re.search(r"average precision ([0-9.]+)", text).group(1)
k01 = re.search(r"top 0.1%: (\d+ of \d+)", text).group(1)
k1 = re.search(r"top 1%: (\d+ of \d+)", text).group(1)
def rank(kind):
    m = re.search(kind + r"\s+\d+ records, (best rank (\d+)|not ranked)", text)
    return m.group(2) if m and m.group(2) else "—"
print(f"| {sys.argv[2]} | {total} | {sys.argv[3]} | {ap} | {k01} | {k1} | " + " | ".join(rank(k) for k in sys.argv[4:]) + " |")
PY
  done
done
