import { expect, test } from "bun:test";
import { javaStringHashCode } from "./string-hash-code.ts";
import { createUniqKeyGenerator, uniqKeyText } from "./uniq-key.ts";

test("lays out ip, pid, instance hash, ms since month start and counter like the Java client", () => {
  const now = new Date(2026, 10, 24, 12, 0, 0, 5).getTime();
  const monthStart = new Date(2026, 10, 1).getTime();
  const gen = createUniqKeyGenerator({
    ip: new Uint8Array([10, 0, 0, 7]),
    pid: 0x12345,
    instanceHash: 0x0badcafe,
    clock: () => now,
  });
  const first = gen.next();
  const second = gen.next();
  expect(first).toHaveLength(32);
  expect(first.slice(0, 8)).toBe("0A000007");
  expect(first.slice(8, 12)).toBe("2345");
  expect(first.slice(12, 20)).toBe("0BADCAFE");
  expect(Number.parseInt(first.slice(20, 28), 16)).toBe(now - monthStart);
  expect(first.slice(28)).toBe("0000");
  expect(second.slice(28)).toBe("0001");
});

test("ids stay unique across many calls and month boundaries", () => {
  let t = new Date(2026, 0, 31, 23, 59, 59, 990).getTime();
  const gen = createUniqKeyGenerator({ clock: () => t++ });
  const seen = new Set<string>();
  for (let i = 0; i < 50_000; i++) seen.add(gen.next());
  expect(seen.size).toBe(50_000);
  const v6 = createUniqKeyGenerator({ ip: new Uint8Array(16) }).next();
  expect(v6).toHaveLength(56);
});

test("nextInto writes the id's ASCII bytes; uniqKeyText makes its string and lastHashCode is its hashCode", () => {
  let t = new Date(2026, 4, 31, 23, 59, 59, 998).getTime();
  const clock = () => {
    t += 0.4;
    return Math.floor(t);
  };
  for (const ip of [new Uint8Array([192, 168, 1, 20]), new Uint8Array(16).fill(0xab)]) {
    const gen = createUniqKeyGenerator({ ip, pid: 77, clock });
    const seen = new Set<string>();
    for (let i = 0; i < 70_000; i++) {
      const target = new Uint8Array(gen.length + 2);
      let id: string;
      if (i % 2 === 0) {
        const counter = gen.nextInto(new DataView(target.buffer), 1);
        id = uniqKeyText(gen.lastHead(), counter);
      } else {
        id = gen.next();
      }
      expect(id).toHaveLength(gen.length);
      if (i % 2 === 0) expect(new TextDecoder().decode(target.subarray(1, 1 + gen.length))).toBe(id);
      if (i % 997 === 0) expect(gen.lastHashCode()).toBe(javaStringHashCode(id));
      seen.add(id);
    }
    expect(seen.size).toBe(70_000);
  }
});
