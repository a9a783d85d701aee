// Preload that makes `.ts` run in the main thread *and* in every worker thread.
// On Node 20, `--import tsx` does not reach worker_threads, but a `--require` preload is re-run
// in each worker (it is part of execArgv), and module.register() installs tsx's ESM hooks there.
// tsx's loader refuses to initialise without its data object (it takes a missing one for the
// deprecated --loader flag), so pass the minimal one it accepts.
const { register } = require("node:module");
const { pathToFileURL } = require("node:url");

register("tsx/esm", pathToFileURL(__filename), { data: { active: true } });
