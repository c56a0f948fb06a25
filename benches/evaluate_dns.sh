#!/usr/bin/env bash
# DNS detection quality of both modes on labeled generated days (pcap → our decoder → analysis),
# several seeds. Prints the Markdown table of EVALUATION.md's DNS section.
#
#   SPOT=target/release/spot benches/evaluate_dns.sh [RECORDS] [SEEDS...]
#   (default: 45000 responses, seeds 1..5)
set -euo pipefail
cd "$(dirname "$0")/.."
SPOT="${SPOT:-target/release/spot}"
records=${1:-45000}
shift || true
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(1 2 3 4 5)
out=benches/out/evaluate-dns
mkdir -p "$out"
[ -x "$SPOT" ] || { echo "no spot binary at $SPOT (cargo build --release, or set SPOT=...)" >&2; exit 1; }
kinds=(dns_tunnel slow_tunnel dga rare_qtype)
echo "| seed | responses | mode | AP | kinds in top 0.1% | kinds in top 1% | dns_tunnel | slow_tunnel | dga | rare_qtype |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for seed in "${seeds[@]}"; do
  day="$out/day-$seed"
  "$SPOT" generate dns --records "$records" --seed "$seed" --out "$day" 2>/dev/null
  for mode in spot combined; do
    res="$out/$mode-$seed.csv"
    "$SPOT" ml dns --mode "$mode" --input "$day/dns.pcap" --top-domains "$day/top_domains.csv" \
      --user-domain acme --out "$res" --seed "$seed" --max-results 3000 2>/dev/null
    "$SPOT" eval --labels "$day/labels.csv" "$res" > "$out/$mode-$seed.txt"
    python3 - "$out/$mode-$seed.txt" "$seed" "$mode" "${kinds[@]}" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
total = re.search(r"records (\d+)", text).group(1)
ap = re.search(r"average precision ([0-9.]+)", text).group(1)
k01 = re.search(r"top 0.1%: (\d+ of \d+)", text).group(1)
k1 = re.search(r"top 1%: (\d+ of \d+)", text).group(1)
def rank(kind):
    m = re.search(r"\b" + kind + r"\s+\d+ records, (best rank (\d+)|not ranked)", text)
    return m.group(2) if m and m.group(2) else "—"
print(f"| {sys.argv[2]} | {total} | {sys.argv[3]} | {ap} | {k01} | {k1} | " + " | ".join(rank(k) for k in sys.argv[4:]) + " |")
PY
  done
done
