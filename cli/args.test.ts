import { describe, expect, test } from "bun:test";
import { boolFlag, commonOptions, intFlag, namesrvAddrs, parseCommandArgs, UsageError } from "./args.ts";
import type { OptionSpecs } from "./command.ts";

const specs: OptionSpecs = {
  topic: { type: "string", short: "t", description: "topic", required: true },
  readQueueNums: { type: "string", short: "r", description: "read queues" },
  ...commonOptions,
};

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error("expected a UsageError");
}

describe("parseCommandArgs", () => {
  test("reads short, long, attached and = forms", () => {
    expect(parseCommandArgs("x", specs, ["-t", "A", "-r8", "--json", "-n", "h:1"])).toEqual({
      topic: "A",
      readQueueNums: "8",
      json: true,
      namesrvAddr: "h:1",
    });
    expect(parseCommandArgs("x", specs, ["--topic=B", "--readQueueNums", "4"])).toEqual({
      topic: "B",
      readQueueNums: "4",
    });
  });

  test("trims values as mqadmin does", () => {
    expect(parseCommandArgs("x", specs, ["-t", "  A "]).topic).toBe("A");
  });

  test("names an unknown flag", () => {
    expect(usageError(() => parseCommandArgs("topicRoute", specs, ["-t", "A", "-x"]))).toBe(
      "topicRoute: unknown flag -x (see topicRoute -h)",
    );
    expect(usageError(() => parseCommandArgs("x", specs, ["--bogus=1", "-t", "A"]))).toContain("--bogus");
  });

  test("refuses a string flag without value and a boolean flag with one", () => {
    expect(usageError(() => parseCommandArgs("x", specs, ["-t"]))).toBe("x: flag -t (--topic) needs a value");
    expect(usageError(() => parseCommandArgs("x", specs, ["-t", "-n", "h:1"]))).toBe(
      "x: flag -t (--topic) needs a value",
    );
    expect(usageError(() => parseCommandArgs("x", specs, ["-t", "--json"]))).toContain("needs a value");
    // A value that merely starts with "-" (an attribute removal, say) is still a value.
    expect(parseCommandArgs("x", specs, ["-t", "-message.type"]).topic).toBe("-message.type");
    expect(usageError(() => parseCommandArgs("x", specs, ["-t", "A", "--json=yes"]))).toBe(
      "x: flag --json takes no value",
    );
  });

  test("refuses stray positionals", () => {
    expect(usageError(() => parseCommandArgs("x", specs, ["-t", "A", "extra"]))).toBe(
      'x: unexpected argument "extra"',
    );
  });

  test("requires required flags unless -h is given", () => {
    expect(usageError(() => parseCommandArgs("x", specs, []))).toBe("x: missing required flag -t (--topic)");
    expect(usageError(() => parseCommandArgs("x", specs, ["-t", " "]))).toBe(
      "x: missing required flag -t (--topic)",
    );
    expect(parseCommandArgs("x", specs, ["-h"]).help).toBe(true);
  });
});

describe("typed flags", () => {
  const r = specs.readQueueNums!;
  test("intFlag checks range and digits", () => {
    expect(intFlag({}, "readQueueNums", r, { min: 1, max: 1024 }, 8)).toBe(8);
    expect(intFlag({ readQueueNums: "16" }, "readQueueNums", r, { min: 1, max: 1024 }, 8)).toBe(16);
    for (const bad of ["0", "1025", "4x", "1.5", ""]) {
      expect(
        usageError(() => intFlag({ readQueueNums: bad }, "readQueueNums", r, { min: 1, max: 1024 }, 8)),
      ).toBe(`flag -r (--readQueueNums) must be an integer in 1..1024, got "${bad}"`);
    }
  });

  test("boolFlag takes true/false in any case", () => {
    expect(boolFlag({ readQueueNums: "TRUE" }, "readQueueNums", r, false)).toBe(true);
    expect(boolFlag({}, "readQueueNums", r, true)).toBe(true);
    expect(usageError(() => boolFlag({ readQueueNums: "yes" }, "readQueueNums", r, false))).toContain(
      "true or false",
    );
  });
});

describe("namesrvAddrs", () => {
  test("-n wins over NAMESRV_ADDR, which wins over the default", () => {
    expect(namesrvAddrs({ namesrvAddr: "a:1; b:2" }, { NAMESRV_ADDR: "c:3" })).toEqual(["a:1", "b:2"]);
    expect(namesrvAddrs({}, { NAMESRV_ADDR: "c:3" })).toEqual(["c:3"]);
    expect(namesrvAddrs({}, {})).toEqual(["127.0.0.1:9876"]);
  });

  test("refuses an address without a port", () => {
    expect(usageError(() => namesrvAddrs({ namesrvAddr: "localhost" }, {}))).toBe(
      'nameserver address "localhost" is not host:port',
    );
    expect(usageError(() => namesrvAddrs({ namesrvAddr: ";" }, {}))).toContain("no nameserver address");
  });
});
