import assert from "node:assert/strict";
import { test } from "node:test";
import { arrayScript, mergeScript, type SlurmOptions, splitArgs } from "../../harness/cli/slurm.ts";

// The batch scripts `npm run slurm` writes, as text: pure functions of the options. The real
// Slurm run is `npm run test:slurm` (scripts/test-slurm.sh), outside `npm test`: it needs root.

const options: SlurmOptions = {
  sweep: ["--workload", "sap-like", "--set", "writes_per_s=1000,2000", "--seed", "1..5"],
  tasks: 8,
  cwd: "/home/me/migbench",
  out: "/scratch/runs/sap-sweep",
  partition: "short",
  time: "2:00:00",
  cpusPerTask: 4,
};

test("splitArgs: this command's options apart, the sweep's passed through in order", () => {
  const { own, sweep } = splitArgs([
    ...["--workload", "sap-like", "--tasks", "8", "--seed=1..5", "--submit"],
    ...["--verify", "--out", "runs/x", "--cpus-per-task=4", "--codec", "paper"],
  ]);
  assert.deepEqual(own, ["--tasks", "8", "--submit", "--out", "runs/x", "--cpus-per-task=4"]);
  assert.deepEqual(sweep, [
    "--workload",
    "sap-like",
    "--seed=1..5",
    "--verify",
    "--codec",
    "paper",
  ]);
});

test("the array script: N tasks, part-K per task, resumed when it has a manifest, workers per CPU", () => {
  const script = arrayScript(options);
  const lines = script.split("\n");
  assert.equal(lines[0], "#!/bin/bash");
  for (const line of [
    "#SBATCH --job-name=migbench",
    "#SBATCH --output=/scratch/runs/sap-sweep/slurm/part-%a.log",
    "#SBATCH --partition=short",
    "#SBATCH --time=2:00:00",
    "#SBATCH --array=1-8",
    "#SBATCH --cpus-per-task=4",
    "set -euo pipefail",
    "cd /home/me/migbench",
    "part=/scratch/runs/sap-sweep/part-$SLURM_ARRAY_TASK_ID",
    '[ "$workers" -gt 1 ] || workers=0',
    'if [ -f "$part/manifest.json" ]; then',
  ])
    assert.ok(lines.includes(line), `${line}\n--- in ---\n${script}`);
  const run = lines.find((line) => line.startsWith("exec ") && line.includes("--shard"));
  assert.ok(run);
  assert.match(
    run,
    /harness\/cli\/bench\.ts --workload sap-like --set writes_per_s=1000,2000 --seed 1\.\.5 --shard slurm\/8 --workers "\$workers" --no-report --out "\$part"$/,
  );
  const resume = lines.find((line) => line.includes("--resume"));
  assert.match(resume ?? "", /bench\.ts --resume "\$part" --workers "\$workers" --no-report$/);
  // All #SBATCH lines come before the first command: sbatch stops reading them there.
  const firstCommand = lines.findIndex((line) => line !== "" && !line.startsWith("#"));
  assert.ok(lines.slice(firstCommand).every((line) => !line.startsWith("#SBATCH")));
});

test("the merge script: the parts in order into OUT/merged; no partition or time when not given", () => {
  const script = mergeScript({ ...options, tasks: 3, partition: null, time: null });
  assert.doesNotMatch(script, /--partition|--time/);
  assert.match(script, /#SBATCH --output=\/scratch\/runs\/sap-sweep\/slurm\/merge\.log/);
  assert.match(
    script,
    /harness\/cli\/merge\.ts \/scratch\/runs\/sap-sweep\/merged \/scratch\/runs\/sap-sweep\/part-1 \/scratch\/runs\/sap-sweep\/part-2 \/scratch\/runs\/sap-sweep\/part-3\n$/,
  );
});
