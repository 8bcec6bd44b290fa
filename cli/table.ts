/** A cell: strings align left, numbers (and bigints) align right. */
export type Cell = string | number | bigint;

/**
 * Aligned text table: a header row and the rows, columns padded to their widest cell and separated by two
 * spaces, trailing spaces trimmed.
 * @example formatTable(["#Topic", "#QID"], [["T", 0]]) // ["#Topic  #QID", "T          0"]
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? "").length)));
  const right = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] !== "string"));
  const line = (cells: readonly Cell[], header: boolean) =>
    widths
      .map((w, i) => {
        const text = String(cells[i] ?? "");
        return right[i] && !header ? text.padStart(w) : text.padEnd(w);
      })
      .join("  ")
      .trimEnd();
  return [line(headers, true), ...rows.map((r) => line(r, false))];
}
