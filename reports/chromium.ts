import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/**
 * The Chromium that `--paper` prints PDFs with and the browser test opens report.html in,
 * found as playwright-core users find one (playwright-core ships no browser): an environment
 * variable naming the executable, else the usual names on PATH. Never a download.
 */

/** Variables that may name the executable, first match wins. */
const CHROMIUM_VARIABLES = ["CHROMIUM_PATH", "PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH"];

/** Executable names of Chromium and Chrome packages (Debian, Ubuntu, Google's). */
const NAMES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

const INSTALL_HINT =
  "install Chromium (Debian: `apt-get install chromium`) or set CHROMIUM_PATH to a Chromium or Chrome executable";

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export type ChromiumLookup =
  | { readonly found: true; readonly path: string; readonly from: string }
  | { readonly found: false; readonly problem: string };

export function findChromium(env: NodeJS.ProcessEnv = process.env): ChromiumLookup {
  for (const variable of CHROMIUM_VARIABLES) {
    const path = env[variable];
    if (path === undefined || path === "") continue;
    if (executable(path)) return { found: true, path, from: variable };
    return { found: false, problem: `${variable}=${path} is not an executable file` };
  }
  const dirs = (env.PATH ?? "").split(delimiter).filter(Boolean);
  for (const name of NAMES)
    for (const dir of dirs) {
      const path = join(dir, name);
      if (executable(path)) return { found: true, path, from: "PATH" };
    }
  return {
    found: false,
    problem: `no Chromium found (${CHROMIUM_VARIABLES.join(", ")} unset; none of ${NAMES.join(", ")} on PATH): ${INSTALL_HINT}`,
  };
}

/** Flags for a headless Chromium that touches no network and no profile of the user's. */
export const HEADLESS_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
