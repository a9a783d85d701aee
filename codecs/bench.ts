import { hideBin } from "yargs/helpers";
import { runMain } from "../lib/main.ts";
import { benchCodecsCommand } from "./bench-command.ts";

/** `npm run bench:codecs`: the lzbench-style codec benchmark (see codecs/bench-command.ts). */
await runMain("bench:codecs", () => benchCodecsCommand(hideBin(process.argv)));
