/**
 * Where the time goes, from `bun --cpu-prof --cpu-prof-md` on the server processes (BunmqStack's runtimeFlags)
 * while the same generators ran (2026-11-24, W1/W2 of 300,000 messages). The bench commands print these under
 * their tables; the shares are of the profiled process's CPU samples.
 */

export const REMOTING_PROFILE = [
  "### Where the broker's time goes",
  "",
  "CPU samples of the broker process during W1 (SEND_MESSAGE_V2, ASYNC_FLUSH, 300,000 messages, this page's " +
    "generator), self time:",
  "",
  "- **32 %: the socket `write` of each response.** `Connection.send` (proto/remoting/connection.ts) calls " +
    "`socket.write` once per response frame, so a thousand requests that arrived in one read cost a thousand " +
    "write(2) calls. Coalescing the frames a connection produces in one event-loop turn into one write (queue them, " +
    "flush from `setImmediate`) took W1 from 30–36k msg/s at 23–33 µs/msg to 54–55k msg/s at 19–21 µs/msg in " +
    "interleaved runs of a patched copy (a `queueMicrotask` flush gains nothing: it runs before the other " +
    "handlers' continuations have produced their responses).",
  "- **15 %: decoding the ROCKETMQ header.** `decodeRocketmqHeader` calls `TextDecoder.decode` (7.6 %) on a new " +
    "`subarray` (7.3 %) for every extFields key and value: 26 calls and 26 views for a SEND_MESSAGE_V2's 13 " +
    "fields. Keys and most values are short ASCII; reading them with `String.fromCharCode` (or a small intern table " +
    "for the keys) and without views avoids both.",
  "- **~12 %: generic header plumbing.** `Object.entries` in `readHeader`, `toExtFields` and the header encoder " +
    "(5.1 %), `new DataView(x.buffer …)` in encodeFrame/decodeFrame (`get buffer` 4.3 %), the FrameDecoder's copy " +
    "of every frame (`slice` 2.4 %).",
  "- The store's own share of a send (send.ts down to the CommitLog, ConsumeQueue and index) is about a tenth of " +
    "the samples, which is why the in-process engine appends several times faster than the broker answers.",
  "",
  "During W2 (PULL_MESSAGE, 300,000 messages), `readRecord` (broker/store/read-messages.ts) took 12.8 % of the " +
    "broker's samples (about 3.3 µs per pulled message): every record is decoded into a MessageExt (properties, " +
    "the offset message id's `hex32`) although the pull handler only sends `m.raw` back. RocketMQ copies the stored " +
    "bytes after the ConsumeQueue tagsCode check; a raw read for pulls whose filter needs no properties would skip " +
    "it. The per-response `write` and header decoding above apply to pulls too.",
].join("\n");

export const PROXY_PROFILE = [
  "### Where the proxy's time goes",
  "",
  "CPU samples of the Local-mode proxy process (broker inside) during W1 and W2 of 100,000 messages each, " +
    "through the gRPC generator, inclusive time:",
  "",
  "- **18 %: protobuf-es `toBinary`** of the responses, mostly ReceiveMessage parts: each message's 1 KiB body " +
    "and properties go through the generic reflective writer, whose buffer grows as it goes (`ensureCapacity` " +
    "3.5 % self). **8 %: `fromBinary`** of the requests. A hand-written encoder for `Message` (sizes known up " +
    "front, body copied once) would cut most of the first.",
  "- **~18 % each: the HTTP/2 layer** (proxy/adapter/h2-connection.ts): reading frames, and writing them " +
    "(`#frame`, which copies each DATA payload into the output: `subarray` 5.9 % and `set` 3.1 % self).",
  "- **~30 %: the broker's work behind it**: pop (10.7 %), ack (9.4 %, an ack record written per message) and " +
    "put (9.7 %).",
  "",
  "Connect over HTTP/1.1 (W1, one message per SendMessage, 64 calls in flight): the per-request path costs far " +
    "more than gRPC's. connect-es's fetch handler (`handleFetch`, 19 % inclusive) builds a Request, Headers, an " +
    "AbortSignal (`abort` 4.3 % self) and ReadableStream/async-iterable wrappers for every unary call, and Bun.serve " +
    "ends each response with its own write (`end`, 19 % self); HTTP/1.1 allows one call per connection at a " +
    "time, so nothing is coalesced. A unary fast path that decodes the body directly for `application/proto` " +
    "requests would skip the stream machinery.",
  "",
  "The gRPC generators use a lean h2c client (bench/targets/h2-pipe.ts) because Bun's node:http2 client cost " +
    "65–120 µs of client CPU per unary call, as much as the proxy, and took its CPU on the shared cores (Local-mode " +
    "W1 4–15k msg/s with it, 16–28k msg/s with the lean client at 17–24 µs/msg). The lean client indexes its " +
    "request headers in HPACK as gRPC clients do; sending them as plain literals had cost the proxy 8 % of its " +
    "CPU in HPACK decoding. The official SDK (rocketmq-client-nodejs on @grpc/grpc-js) costs far more per send, " +
    "see its row.",
].join("\n");
