#!/usr/bin/env bash
# Ours beside TorchSharp, round after round: for each round and configuration, `recur bench C --json` and then
# the peer's run.sh for the same configuration, each in its own process, with the cores' round trip
# (`recur bench cores`, which tells the host's placement) logged beside. Prints, per configuration, the medians
# over rounds and the median of the per-round ratios. The ratio of one round compares two runs a minute apart;
# the median over many rounds is what the issues quote (this host is noisy: see README, "the two placements").
#
#   bench/rounds.sh [-n ROUNDS] [-o LOG] [-p PEER_RUN_SH] CONFIG...     e.g. bench/rounds.sh -n 12 T1 T3 I1
#
# Needs the peer (../shared/peers/torchsharp/run.sh by default) and python3; builds the CLI once (Release).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=12 log="" peer="../shared/peers/torchsharp/run.sh"
while getopts "n:o:p:" opt; do
  case $opt in
    n) rounds=$OPTARG ;;
    o) log=$OPTARG ;;
    p) peer=$OPTARG ;;
    *) echo "usage: bench/rounds.sh [-n ROUNDS] [-o LOG] [-p PEER_RUN_SH] CONFIG..." >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "rounds.sh: name at least one configuration (T1 … T5, I1, I2)" >&2; exit 2; }
[ -x "$peer" ] || [ -f "$peer" ] || { echo "rounds.sh: peer script not found: $peer" >&2; exit 2; }
work=$(mktemp -d)
log=${log:-$work/rounds.log}
dotnet build -c Release src/Recur.Cli -o "$work/cli" > "$work/build.log" 2>&1 || { echo "rounds.sh: build failed (see $work/build.log)" >&2; exit 1; }
json_field() { python3 -c "import json,sys; print(round(json.load(open(sys.argv[1]))['results'][0][sys.argv[2]]))" "$@"; }
for i in $(seq "$rounds"); do
  for c in "$@"; do
    dotnet "$work/cli/Recur.Cli.dll" bench cores --json > "$work/cores.json"
    dotnet "$work/cli/Recur.Cli.dll" bench "$c" --json > "$work/ours.json"
    bash "$peer" --threads 2 --configs "$c" --budget 6 --out "$work/peer.json" > /dev/null 2>&1
    echo "$i $c $(json_field "$work/ours.json" ours) $(json_field "$work/peer.json" throughput_median) $(json_field "$work/cores.json" ours)" | tee -a "$log"
  done
done
python3 - "$log" <<'EOF'
import statistics as st, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
print("| config (rounds) | ours, median (range) | TorchSharp, same rounds | ratio median (range) |")
print("|---|---|---|---|")
for c in dict.fromkeys(r[1] for r in rows):
    r = [(int(x[2]), int(x[3])) for x in rows if x[1] == c]
    ours, peer, ratio = [a for a, _ in r], [b for _, b in r], [a / b for a, b in r]
    print(f"| {c} ({len(r)}) | {st.median(ours):,.0f} ({min(ours):,}–{max(ours):,}) | {st.median(peer):,.0f} "
          f"({min(peer):,}–{max(peer):,}) | {st.median(ratio):.2f} ({min(ratio):.2f}–{max(ratio):.2f}) |")
EOF
echo "log: $log (round, config, ours, peer, cores' round trip in ns)"
