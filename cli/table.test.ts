import { expect, test } from "bun:test";
import { formatTable } from "./table.ts";

test("pads columns to the widest cell, numbers right-aligned", () => {
  expect(
    formatTable(
      ["#Broker Name", "#QID", "#Max Offset"],
      [
        ["broker-a", 0, 12345],
        ["b", 10, 7],
      ],
    ),
  ).toEqual([
    "#Broker Name  #QID  #Max Offset",
    "broker-a         0        12345",
    "b               10            7",
  ]);
});

test("a header alone when there are no rows; trailing blanks trimmed", () => {
  expect(formatTable(["#A", "#B"], [])).toEqual(["#A  #B"]);
  expect(formatTable(["#A", "#B"], [["x", ""]])).toEqual(["#A  #B", "x"]);
});
