/** A free TCP port on 127.0.0.1, found by listening on port 0 and closing again. */
export function freePort(): number {
  const listener = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: { data() {} },
  });
  const port = listener.port;
  listener.stop(true);
  return port;
}

/** Several distinct free ports (held open together so that none repeats). */
export function freePorts(count: number): number[] {
  const listeners = Array.from({ length: count }, () =>
    Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } }),
  );
  const ports = listeners.map((l) => l.port);
  for (const l of listeners) l.stop(true);
  return ports;
}
