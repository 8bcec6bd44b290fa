/**
 * The publish loop of the generator jobs whose client answers each send with its own promise: n sends, at most
 * `inFlight` unanswered at a time, progress reported with each answer; the first failed send fails the run.
 */
export async function sendInFlight(
  n: number,
  inFlight: number,
  send: () => Promise<unknown>,
  progress: (acked: number) => void,
): Promise<number> {
  let issued = 0;
  let acked = 0;
  if (n <= 0) return 0;
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      while (issued < n && issued - acked < inFlight) {
        issued++;
        send().then(() => {
          acked++;
          progress(acked);
          if (acked === n) resolve();
          else pump();
        }, reject);
      }
    };
    pump();
  });
  return acked;
}
