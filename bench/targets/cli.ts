/**
 * The flags bench:remoting, bench:proxy and bench share: --reps N, --quick (20k messages, 2 s of latency, one
 * repetition, no docs), --messages N, --latency-seconds N, --processes N, --docs / --no-docs, --only a,b,
 * --no-setup.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { parseArgs } from "node:util";
import {
  defaultSuiteOptions,
  type MachineInfo,
  machineInfo,
  replaceSection,
  type SuiteOptions,
} from "../harness/index.ts";

export interface BenchArgs {
  quick: boolean;
  suite: SuiteOptions;
  writeDocs: boolean;
  only: string[] | undefined;
  /** Install missing peer brokers first (bench only); --no-setup turns it off. */
  setup: boolean;
  /** The command line, for the report. */
  command: string;
}

function intOption(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!Number.isInteger(v) || v < min)
    throw new Error(`--${name} must be an integer of at least ${min}: ${text}`);
  return v;
}

export function parseBenchArgs(script: string, argv: string[]): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      reps: { type: "string" },
      quick: { type: "boolean", default: false },
      messages: { type: "string" },
      "latency-seconds": { type: "string" },
      processes: { type: "string" },
      only: { type: "string" },
      docs: { type: "boolean" },
      "no-docs": { type: "boolean", default: false },
      "no-setup": { type: "boolean", default: false },
    },
  });
  const quick = values.quick ?? false;
  const suite: SuiteOptions = {
    ...defaultSuiteOptions,
    reps: intOption("reps", values.reps, quick ? 1 : defaultSuiteOptions.reps, 1),
    messages: intOption("messages", values.messages, quick ? 20_000 : defaultSuiteOptions.messages, 1),
    latencySeconds: intOption(
      "latency-seconds",
      values["latency-seconds"],
      quick ? 2 : defaultSuiteOptions.latencySeconds,
      1,
    ),
    settleMs: quick ? 1000 : defaultSuiteOptions.settleMs,
    processes: intOption("processes", values.processes, 0, 0),
    log: (line) => console.error(line),
  };
  return {
    quick,
    suite,
    writeDocs: values["no-docs"] ? false : (values.docs ?? !quick),
    only: values.only?.split(","),
    setup: !values["no-setup"],
    command: [`bun run ${script}`, ...argv].join(" "),
  };
}

/** Keeps the targets named by --only (all when absent); an unknown name is an error listing the known ones. */
export function pickTargets<T extends { name: string }>(all: T[], only: string[] | undefined): T[] {
  if (!only) return all;
  const unknown = only.filter((w) => !all.some((t) => t.name === w));
  if (unknown.length > 0)
    throw new Error(
      `--only: unknown target(s) ${unknown.join(", ")}; known: ${all.map((t) => t.name).join(", ")}`,
    );
  return all.filter((t) => only.includes(t.name));
}

/** What every report section opens with. */
export interface RunInfo {
  date: string;
  command: string;
  /** The bunmq code measured: a commit, "+ uncommitted changes" when the server folders differ from it. */
  revision: string;
  machine: MachineInfo;
  loadAverage: { start: number; end: number };
}

const repoRoot = new URL("../../", import.meta.url).pathname;

/**
 * BUNMQ_BENCH_REVISION names the code when the bench runs from an exported snapshot (no .git); otherwise git
 * says which commit this checkout is at and whether the server folders have uncommitted changes.
 */
function revision(): string {
  if (process.env.BUNMQ_BENCH_REVISION) return process.env.BUNMQ_BENCH_REVISION;
  const git = (...args: string[]) => {
    const r = Bun.spawnSync(["git", "-C", repoRoot, ...args], { stdout: "pipe", stderr: "ignore" });
    return r.exitCode === 0 ? r.stdout.toString().trim() : undefined;
  };
  const head = git("rev-parse", "--short", "HEAD");
  if (!head) return "unknown";
  const dirty = git("status", "--porcelain", "--", "broker", "proxy", "proto", "nameserver", "bin", "config");
  return dirty ? `${head} + uncommitted changes` : head;
}

export function startRun(command: string): { finish(): RunInfo } {
  const date = new Date().toISOString().slice(0, 10);
  const rev = revision();
  const machine = machineInfo(tmpdir());
  const start = loadavg()[0]!;
  return {
    finish: () => ({ date, command, revision: rev, machine, loadAverage: { start, end: loadavg()[0]! } }),
  };
}

/** docs/ of this checkout, or BUNMQ_BENCH_DOCS_DIR (a run from a snapshot writes into the working checkout). */
export const docsDir = process.env.BUNMQ_BENCH_DOCS_DIR
  ? `${process.env.BUNMQ_BENCH_DOCS_DIR.replace(/\/$/, "")}/`
  : new URL("../../docs/", import.meta.url).pathname;
const docPath = `${docsDir}benchmarks.md`;

/**
 * Replaces the given "## " sections of docs/benchmarks.md, re-reading the file right before writing (other
 * sections belong to other benchmarks). A section named in `atTop` that is missing goes right under the title.
 */
export function writeDocSections(sections: Record<string, string>, atTop: string[] = []): void {
  let doc = existsSync(docPath) ? readFileSync(docPath, "utf8") : "# Benchmarks\n";
  for (const [heading, body] of Object.entries(sections)) {
    if (atTop.includes(heading) && !doc.split("\n").some((l) => l.trimEnd() === heading)) {
      const lines = doc.split("\n");
      const title = lines.findIndex((l) => l.startsWith("# "));
      lines.splice(title + 1, 0, "", heading, "", body.trim());
      doc = lines.join("\n");
    } else {
      doc = replaceSection(doc, heading, body);
    }
  }
  writeFileSync(docPath, doc);
  console.error(`wrote ${docPath} (${Object.keys(sections).join(", ")})`);
}
