/** Markdown pieces for docs/benchmarks.md: tables, numbers, and replacing one "## " section. */

export function mdTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map((c) => c.replaceAll("|", "\\|")).join(" | ")} |`;
  return [line(headers), line(headers.map(() => "---")), ...rows.map(line)].join("\n");
}

/** A number for humans: thousands separators for large values, 2-3 significant digits for small. */
export function fmtNum(v: number): string {
  if (!Number.isFinite(v)) return "–";
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString("en-US");
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(2);
}

/**
 * Replaces the section that starts with the line `heading` (e.g. "## Peers") up to the next line
 * starting with "## ", leaving every other section as it is. A missing section is appended.
 * `body` is the text after the heading line.
 */
export function replaceSection(doc: string, heading: string, body: string): string {
  const section = `${heading}\n\n${body.trim()}\n`;
  const lines = doc.split("\n");
  const start = lines.findIndex((l) => l.trimEnd() === heading);
  if (start < 0) {
    const base = doc.trimEnd();
    return base === "" ? section : `${base}\n\n${section}`;
  }
  let end = lines.findIndex((l, i) => i > start && l.startsWith("## "));
  if (end < 0) end = lines.length;
  const before = lines.slice(0, start).join("\n");
  const after = lines.slice(end).join("\n");
  return `${before}${before ? "\n" : ""}${section}${after ? `\n${after}` : ""}`;
}
