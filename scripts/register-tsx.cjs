// Preload that makes `.ts` run in the main thread *and* in every worker thread.
// On Node 20, `--import tsx` does not reach worker_threads, but a `--require` preload is re-run
// in each worker (it is part of execArgv), and module.register() installs tsx's ESM hooks there.
// tsx's loader refuses to initialise without its data object (it takes a missing one for the
// deprecated --loader flag), so pass the minimal one it accepts.
const { register } = require("node:module");
const { pathToFileURL } = require("node:url");

register("tsx/esm", pathToFileURL(__filename), { data: { active: true } });

// tsx's CommonJS hooks too, as `--import tsx` installs them (tsx/dist/loader.mjs imports its
// cjs loader first). Node takes a `.ts` file outside a `"type": "module"` package for
// CommonJS; without these hooks Node 20's own CommonJS loader gets it, finds ESM syntax and
// fails with "Cannot require() ES Module ... in a cycle". That is where a user's
// `--codec-module ./my-codec.ts` plug-in usually lives (README "Plug-ins").
require("tsx/cjs/api").register();
