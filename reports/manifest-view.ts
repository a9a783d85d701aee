import { msLabel, rateLabel, sizeLabel } from "../lib/format.ts";

/**
 * manifest.json as a reader takes it in: nested objects become nested tables, lists of plain
 * values one line, and numbers whose key names a unit (…Bytes, …BytesPerS, …Ms) are printed in
 * it ("16 MiB", "128 MiB/s", "300 ms") with the exact value beside. Pure: JSON in, escaped HTML
 * out; report.html shows it folded (<details>) below the charts.
 */

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** A number printed in the unit its key names (rates before sizes: …BytesPerS ends in S). */
function withUnit(key: string, value: number): string {
  const exact = String(value);
  let shown: string | null = null;
  if (/BytesPerS$/.test(key)) shown = rateLabel(value);
  else if (/Bytes$/.test(key)) shown = sizeLabel(value);
  else if (/Ms$/.test(key)) shown = msLabel(value);
  return shown === null || shown === exact ? exact : `${shown} (${exact})`;
}

function isPlain(value: unknown): value is string | number | boolean | null {
  return value === null || ["string", "number", "boolean"].includes(typeof value);
}

function plainText(key: string, value: string | number | boolean | null): string {
  if (value === null) return "—";
  if (typeof value === "number") return withUnit(key, value);
  return String(value);
}

/** A value as HTML: text, a line of plain values, or a nested table (depth-limited). */
function valueHtml(key: string, value: unknown, depth: number): string {
  if (isPlain(value)) {
    const text = escapeHtml(plainText(key, value));
    return /command/i.test(key) ? `<code class="command">${text}</code>` : text;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return "none";
    // A list of numbers with a unit key (cacheSizesBytes) reads as "16 MiB, 64 MiB".
    const unitKey = key.replace(/s(Bytes|Ms|BytesPerS)$/, "$1");
    if (value.every(isPlain)) return escapeHtml(value.map((v) => plainText(unitKey, v)).join(", "));
    if (depth >= 3) return `<code>${escapeHtml(JSON.stringify(value))}</code>`;
    return value.map((item) => valueHtml(unitKey, item, depth + 1)).join("");
  }
  if (typeof value === "object" && depth < 3)
    return objectTable(value as Record<string, unknown>, depth + 1);
  return `<code>${escapeHtml(JSON.stringify(value))}</code>`;
}

function objectTable(object: Readonly<Record<string, unknown>>, depth: number): string {
  const rows = Object.entries(object).map(
    ([key, value]) =>
      `<tr><th scope="row">${escapeHtml(key)}</th><td>${valueHtml(key, value, depth)}</td></tr>`,
  );
  return `<table class="manifest"><tbody>${rows.join("")}</tbody></table>`;
}

/** manifest.json as nested tables. */
export function manifestHtml(manifest: Readonly<Record<string, unknown>>): string {
  return objectTable(manifest, 0);
}

/** The command that made the run, as recorded (manifest `command` or `commandLine`). */
export function manifestCommand(manifest: Readonly<Record<string, unknown>> | null): string | null {
  const command = manifest?.command ?? manifest?.commandLine;
  return typeof command === "string" ? command : null;
}
