import { describe, expect, test } from "bun:test";
import { parseProperties } from "./properties.ts";

describe("parseProperties", () => {
  test("reads the separators, comments and blank lines broker.conf files use", () => {
    const text = [
      "# broker.conf",
      "! also a comment",
      "",
      "brokerClusterName = DefaultCluster",
      "brokerName:broker-a",
      "brokerId 0",
      "  deleteWhen=04  ",
      "namesrvAddr=127.0.0.1:9876;127.0.0.2:9876",
    ].join("\n");
    expect(parseProperties(text).map(({ key, value }) => [key, value])).toEqual([
      ["brokerClusterName", "DefaultCluster"],
      ["brokerName", "broker-a"],
      ["brokerId", "0"],
      ["deleteWhen", "04"],
      ["namesrvAddr", "127.0.0.1:9876;127.0.0.2:9876"],
    ]);
  });

  test("joins continuation lines and decodes escapes, keeping the first line number", () => {
    const parsed = parseProperties("a=1\nlevels=1s 5s \\\n   10s\r\nkey\\ with\\ space=\\u00e9\\t!");
    expect(parsed[1]).toEqual({ key: "levels", value: "1s 5s 10s", line: 2 });
    expect(parsed[2]).toEqual({ key: "key with space", value: "é\t!", line: 4 });
  });

  test("an escaped trailing backslash is not a continuation", () => {
    expect(parseProperties("path=C:\\\\\nnext=1").map((p) => p.value)).toEqual(["C:\\", "1"]);
  });

  test("a key with no value has an empty value", () => {
    expect(parseProperties("lonely")).toEqual([{ key: "lonely", value: "", line: 1 }]);
  });
});
