/**
 * `bun run examples/browser/build.ts [--serve <port>]`: bundles the example page for the browser (no CDN, works
 * offline) into examples/browser/dist/, and with --serve also serves dist/ on 127.0.0.1:<port>.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The built page: file name -> contents (index.html and app.js). */
export type ExampleBundle = Record<string, string>;

/** Bundles app.ts (with the generated client and connect-web) into one browser script beside index.html. */
export async function bundleExample(): Promise<ExampleBundle> {
  const result = await Bun.build({
    entrypoints: [join(import.meta.dir, "app.ts")],
    target: "browser",
    format: "esm",
    naming: "app.js",
    sourcemap: "inline",
  });
  if (!result.success) {
    throw new Error(`bundling the browser example failed:\n${result.logs.map(String).join("\n")}`);
  }
  const [js] = result.outputs;
  return {
    "index.html": await Bun.file(join(import.meta.dir, "index.html")).text(),
    "app.js": await js.text(),
  };
}

const contentTypes: Record<string, string> = {
  "index.html": "text/html; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
};

/** A fetch handler serving the bundle ("/" is index.html). */
export function serveBundle(bundle: ExampleBundle): (request: Request) => Response {
  return (request) => {
    const name = new URL(request.url).pathname.slice(1) || "index.html";
    const body = bundle[name];
    if (body === undefined) return new Response("not found\n", { status: 404 });
    return new Response(body, { headers: { "content-type": contentTypes[name] ?? "text/plain" } });
  };
}

if (import.meta.main) {
  const bundle = await bundleExample();
  const dist = join(import.meta.dir, "dist");
  mkdirSync(dist, { recursive: true });
  for (const [name, text] of Object.entries(bundle)) writeFileSync(join(dist, name), text);
  console.log(`wrote ${Object.keys(bundle).join(", ")} to ${dist}`);
  const at = process.argv.indexOf("--serve");
  if (at >= 0) {
    const port = Number(process.argv[at + 1] ?? 8090);
    const server = Bun.serve({ hostname: "127.0.0.1", port, fetch: serveBundle(bundle) });
    console.log(`serving the example on http://127.0.0.1:${server.port}/ (Ctrl-C to stop)`);
  }
}
