/** Jobs for fan-out.test.ts (a module the generator children import). */
import type { GeneratorJob } from "./generator-job.ts";

/** Counts to params.n in steps, like a publisher with acks. */
export const countTo: GeneratorJob<{ n: number }> = async ({ n }, ctl) => {
  await ctl.ready();
  let done = 0;
  while (done < n) {
    done = Math.min(n, done + 100);
    ctl.progress(done);
    await Bun.sleep(1);
  }
  return { count: done };
};

/** Counts until told to stop, like a consumer sharing a queue. */
export const countUntilStopped: GeneratorJob<{ step: number }> = async ({ step }, ctl) => {
  await ctl.ready();
  let done = 0;
  while (!ctl.stopped) {
    done += step;
    ctl.progress(done);
    await Bun.sleep(1);
  }
  return { count: done };
};

export const failAfterReady: GeneratorJob<Record<string, never>> = async (_params, ctl) => {
  await ctl.ready();
  throw new Error("job broke on purpose");
};

/** Reaches params.n and then waits to be stopped, like a consumer whose messages were lost. */
export const stallAt: GeneratorJob<{ n: number }> = async ({ n }, ctl) => {
  await ctl.ready();
  ctl.progress(n);
  await ctl.stop;
  return { count: n };
};
