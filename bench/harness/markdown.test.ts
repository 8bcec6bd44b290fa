import { describe, expect, test } from "bun:test";
import { fmtNum, mdTable, replaceSection } from "./markdown.ts";

describe("replaceSection", () => {
  const doc =
    "# Benchmarks\n\nintro\n\n## Storage engine\n\nstore text\n\n## Peers\n\nold peers\n\n## Later\n\nkeep\n";

  test("replaces only its own section and keeps the others byte for byte", () => {
    const next = replaceSection(doc, "## Peers", "new peers");
    expect(next).toBe(
      "# Benchmarks\n\nintro\n\n## Storage engine\n\nstore text\n\n## Peers\n\nnew peers\n\n## Later\n\nkeep\n",
    );
  });

  test("appends a missing section at the end", () => {
    const next = replaceSection("# Benchmarks\n\n## Storage engine\n\nx\n", "## Physical limits", "dd");
    expect(next).toBe("# Benchmarks\n\n## Storage engine\n\nx\n\n## Physical limits\n\ndd\n");
  });

  test("replaces a last section up to the end of the file", () => {
    const next = replaceSection("## Peers\n\nold\n", "## Peers", "new");
    expect(next).toBe("## Peers\n\nnew\n");
  });

  test("starts an empty document with the section", () => {
    expect(replaceSection("", "## Peers", "x")).toBe("## Peers\n\nx\n");
  });

  test("does not take a ### subsection for the end of its section", () => {
    const next = replaceSection("## Peers\n\n### a\n\nold\n\n## B\n", "## Peers", "new");
    expect(next).toBe("## Peers\n\nnew\n\n## B\n");
  });
});

describe("mdTable and fmtNum", () => {
  test("renders a table and escapes pipes", () => {
    expect(mdTable(["a", "b"], [["1", "x|y"]])).toBe("| a | b |\n| --- | --- |\n| 1 | x\\|y |");
  });

  test("formats numbers by size", () => {
    expect(fmtNum(123456.7)).toBe("123,457");
    expect(fmtNum(123.4)).toBe("123");
    expect(fmtNum(12.34)).toBe("12.3");
    expect(fmtNum(1.234)).toBe("1.23");
    expect(fmtNum(0.01234)).toBe("0.012");
    expect(fmtNum(Number.NaN)).toBe("–");
  });
});
