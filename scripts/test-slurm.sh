#!/usr/bin/env bash
# npm run test:slurm — a sweep through a real Slurm cluster must equal the same sweep run here.
#
# Starts a single-node Slurm (scripts/slurm-cluster.sh: Debian's slurm-wlm and munge, installed
# if missing, all state in a temporary directory), submits a 4-task array and its merge job
# with `npm run slurm -- ... --submit`, waits for both, runs the same sweep locally, and checks
# that the merged results.csv and passes.csv are byte-identical to the local ones; then submits
# task 2 again alone and checks that it resumed its part. Stops the daemons by their pid files
# and removes the directory on any exit. Needs root (the daemons).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
  echo "test:slurm: needs root to start munged, slurmctld and slurmd (try: sudo npm run test:slurm)" >&2
  exit 1
fi
started=$(date +%s)
tmp=$(mktemp -d /tmp/migbench-slurm-XXXXXX)
# munged runs as the munge user and keeps its socket and log below here.
chmod 755 "$tmp"
cleanup() {
  scripts/slurm-cluster.sh stop "$tmp/cluster" || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# 12 cells of unequal cost (two RAM sizes), so the split is by cost, not by count.
sweep=(--workload uniform --ram 64MiB,128MiB --set wss=32MiB --codec raw,xbzrle,xbrle --cache-size 16MiB --seed 1,2)

echo "test:slurm: starting a single-node cluster"
conf=$(scripts/slurm-cluster.sh start "$tmp/cluster" | tail -n 1)
case "$conf" in
  SLURM_CONF=*) export "${conf?}" ;;
  *) echo "test:slurm: the cluster did not start (see $tmp/cluster/*.log)" >&2; exit 1 ;;
esac
echo "test:slurm: submitting"
submitted=$(npm run -s slurm -- "${sweep[@]}" --tasks 4 --out "$tmp/run" --submit)
echo "$submitted"
jobs=$(echo "$submitted" | sed -n 's/^array job \([0-9]*\) .*merge job \([0-9]*\)$/\1,\2/p')
[ -n "$jobs" ] || { echo "test:slurm: no job ids in the output above" >&2; exit 1; }

echo "test:slurm: running the same sweep locally meanwhile"
npm run -s bench -- "${sweep[@]}" --workers 1 --no-report --quiet --out "$tmp/local" >/dev/null

deadline=$((started + 150))
while [ -n "$(squeue -h -j "$jobs" 2>/dev/null)" ]; do
  if [ "$(date +%s)" -gt "$deadline" ]; then
    echo "test:slurm: jobs $jobs still queued or running after 150 s" >&2
    squeue -j "$jobs" >&2 || true
    exit 1
  fi
  sleep 1
done
for file in results.csv passes.csv; do
  if [ ! -f "$tmp/run/merged/$file" ]; then
    echo "test:slurm: the merge job wrote no $file; logs:" >&2
    tail -n 5 "$tmp"/run/slurm/*.log >&2 || true
    exit 1
  fi
  if ! cmp -s "$tmp/local/$file" "$tmp/run/merged/$file"; then
    echo "test:slurm: merged $file differs from the local run's:" >&2
    diff "$tmp/local/$file" "$tmp/run/merged/$file" | head -n 10 >&2
    exit 1
  fi
done
parts=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).parts.length)' \
  "$tmp/run/merged/manifest.json")
[ "$parts" = 4 ] || { echo "test:slurm: the merged manifest lists $parts parts, not 4" >&2; exit 1; }

# A task submitted again alone resumes its part (here a finished one: nothing to run, same rows).
echo "test:slurm: submitting task 2 again alone"
cp "$tmp/run/part-2/results.csv" "$tmp/part-2-before.csv"
# GNU timeout takes 0 as "no limit": out of time already must fail here, not hang.
left=$((started + 175 - $(date +%s)))
[ "$left" -gt 0 ] || { echo "test:slurm: out of time (175 s) before resubmitting task 2" >&2; exit 1; }
timeout "$left" sbatch --wait --array=2 "$tmp/run/slurm/array.sbatch" >/dev/null
resumes=$(node -e 'const m = JSON.parse(require("fs").readFileSync(process.argv[1])); console.log(m.status, m.resumes.length)' \
  "$tmp/run/part-2/manifest.json")
if [ "$resumes" != "completed 1" ] || ! cmp -s "$tmp/part-2-before.csv" "$tmp/run/part-2/results.csv"; then
  echo "test:slurm: task 2 submitted again did not resume its part (manifest: $resumes)" >&2
  tail -n 5 "$tmp/run/slurm/part-2.log" >&2 || true
  exit 1
fi
cells=$(($(wc -l < "$tmp/local/results.csv") - 1))
echo "test:slurm: ok — 4 Slurm tasks + merge = the local run, byte for byte; a task resubmitted alone resumes its part ($cells cells, $(($(date +%s) - started)) s)"
