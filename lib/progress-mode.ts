/**
 * How a long command shows progress: a bar on a terminal, a line per step in a pipe or a log,
 * nothing with --quiet or under CI.
 */
export type ProgressMode = "bar" | "lines" | "none";

export function progressMode(
  stream: { isTTY?: boolean },
  env: NodeJS.ProcessEnv,
  quiet: boolean,
): ProgressMode {
  if (quiet || (env.CI !== undefined && env.CI !== "" && env.CI !== "false")) return "none";
  return stream.isTTY ? "bar" : "lines";
}
