/**
 * Child-process entry for the loopback TCP limit: `bun tcp-sink.ts <bytes>`. Listens on
 * 127.0.0.1:0, prints "port <n>", reads and discards, prints "done" once <bytes> arrived.
 */
const expected = Number(process.argv[2]);
let received = 0;
const listener = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    binaryType: "uint8array",
    data(_socket, chunk) {
      received += chunk.byteLength;
      if (received >= expected) {
        process.stdout.write("done\n");
        listener.stop(true);
        process.exit(0);
      }
    },
  },
});
process.stdout.write(`port ${listener.port}\n`);
