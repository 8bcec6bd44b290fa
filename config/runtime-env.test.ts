import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { roleScriptPrefix } from "./runtime-env.ts";

test("every role script in package.json starts its runtime with the roles' environment", () => {
  const pkg = JSON.parse(readFileSync(join(import.meta.dir, "..", "package.json"), "utf8"));
  for (const role of ["start", "nameserver", "broker", "proxy", "controller"]) {
    expect(pkg.scripts[role]).toBe(`${roleScriptPrefix()}bun run bin/${role}.ts`);
  }
});
