import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

// Regenerates proto/gen into a temp dir with the committed template and compares byte for byte, so a
// .proto edit without `npm run generate` (or a hand edit of generated code) fails here.
const root = join(import.meta.dir, "..");
const committed = join(root, "proto", "gen");

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describe("proto/gen", () => {
  let outDir = "";
  let fresh = "";

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), "bunmq-codegen-"));
    // -o is prepended to the template's `out: proto/gen`.
    const proc = Bun.spawn(
      [
        join(root, "node_modules", ".bin", "buf"),
        "generate",
        "proto",
        "--template",
        "proto/buf.gen.yaml",
        "-o",
        outDir,
      ],
      { cwd: root, stdout: "pipe", stderr: "pipe" },
    );
    const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
    if (code !== 0) throw new Error(`buf generate exited with ${code}: ${stderr}`);
    fresh = join(outDir, "proto", "gen");
  }, 60_000);

  afterAll(async () => {
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  test("holds exactly the files buf generates", async () => {
    const expected = await listFiles(fresh);
    expect(expected).toContain(join("apache", "rocketmq", "v2", "service_pb.ts"));
    expect(await listFiles(committed)).toEqual(expected);
  });

  test("every generated file is byte-for-byte up to date (run `npm run generate` if not)", async () => {
    for (const file of await listFiles(fresh)) {
      const want = await readFile(join(fresh, file));
      const have = await readFile(join(committed, file)).catch(() => Buffer.alloc(0));
      expect({ file, upToDate: want.equals(have) }).toEqual({ file, upToDate: true });
    }
  });
});
