/**
 * Where the time goes, from `bun --cpu-prof --cpu-prof-md` on the server processes (BunmqStack's runtimeFlags)
 * while the same generators ran, and what was changed because of it: last session's profiles (2026-11-24) and
 * this session's A/B runs (2026-11-25: old and new trees alternately, server CPU µs/msg, medians). The bench
 * commands print these under their tables; the shares are of the profiled process's CPU samples.
 */

export const REMOTING_PROFILE = [
  "### Where the broker's time goes, and what was done about it",
  "",
  "W1 (SEND_MESSAGE_V2, ASYNC_FLUSH, this page's generator): the broker's CPU per message went from **26.7 µs to " +
    "about 10.3 µs** (A/B medians over 5-7 alternating runs each; throughput in those runs ~46k -> ~88k msg/s, " +
    "noisy). In order:",
  "",
  "- **Response writes coalesced per event-loop turn** (proto/remoting/connection.ts): the socket `write` of each " +
    "response had been 32 % of the samples; frames produced in one turn now leave in one write (flushed from " +
    "`setImmediate`; `queueMicrotask` runs too early to gain).",
  "- **ROCKETMQ header codec** (proto/remoting/rocketmq-header.ts, frame.ts): the extFields area is decoded once " +
    "(keys and values are substrings; one-letter keys from a table), header integers are read and written by hand " +
    "(touching `.buffer` for a DataView was costly), a response frame is sized exactly and written in one pass, the " +
    "FrameDecoder hands out views instead of copies: 26.7 -> ~18 µs.",
  "- **Header plumbing** (`readHeader`, `toExtFields`, `createResponse` without `Object.entries` or spreads; short " +
    "decimals without a regex; SEND_MESSAGE_V2's one-letter keys read through `wireNames`): ~18 -> ~11 µs.",
  "- **Send path** (broker/send.ts, topic-validator.ts, broker/store): properties are stored as the request's " +
    "string when the broker rewrites none (one scan checks it and reads UNIQ_KEY, KEYS and TAGS), topic checks " +
    "are cached per name, one promise less per send, dispatch listeners in an array: ~11 -> ~10.3 µs.",
  "",
  "What remains, per the last profile: of the ~10 µs only about 6.5 µs is the JS thread; JIT worker threads, a JSC " +
    "warm-up thread (page faults) and the CommitLog write pool take the rest. On the JS thread: remoting header " +
    "code ~20 %, store (encode with body CRC, dispatch, index) ~25 %, properties decode for the tag hash ~5 %, the " +
    "socket write ~5 %. Reaching the peers' ~6.4 µs/msg would take the remaining header decoding out of JS " +
    "objects altogether (a SEND_MESSAGE_V2 header read straight into the store's input) and the store's per-message " +
    "object and promise; 1.5x the best peer also needs the generators' own CPU to fit beside it on 2 cores.",
  "",
  "W2 (PULL_MESSAGE): the broker's CPU per message went from **~6.1 µs (8.75 in the last full run) to ~2.1-3.4 " +
    "µs**. Pulls now copy stored records instead of decoding each into a MessageExt (broker/store/" +
    "read-raw-messages.ts: the tag hash, then the TAGS value read from the stored bytes; adjacent records copied in " +
    "one piece), and a body of 16 KiB or more is no longer copied into its frame (it is queued behind the frame " +
    "head; writing it alone cost more than one merged copy). Left: the socket `write` (15 %), the CommitLog copy and " +
    "the merged-write copy (`set` 18 %).",
  "",
  "W3 (latency at 2,000 msg/s): the long-polling wake-up is immediate (dispatch to pull response p50 25 µs, p99 " +
    "0.1-0.6 ms); the tail came from event-loop stalls that hit sends and deliveries alike: the synchronous fsync " +
    "of consumerOffset.json every 5 s (3-143 ms; now written off the event loop), Bun's 1 s idle GC timer (4-15 ms " +
    "each second; the role scripts now start Bun with BUN_GC_TIMER_DISABLE=1: p99 median 4.8 -> 3.7 ms), an " +
    "AbortController per held pull (now one signal per connection: p99 median ~4.4 -> ~3.0 ms over 12 runs). " +
    "Of what is left, the 500 ms ASYNC_FLUSH fdatasync accounts for about 1 ms of p99 (W3 with " +
    "flushIntervalCommitLog at 1 h: p99 2.56-3.71 ms against 3.78-4.58 ms, 4 runs each, alternating), and the " +
    "generator's own send lag (p99 ~2 ms) for much of the rest; the peers' tails (Redis everysec p99 0.5-0.8 ms) " +
    "are shorter. Under a load average of 5-10 even the idle nameserver stalled 50-260 ms.",
].join("\n");

export const PROXY_PROFILE = [
  "### Where the proxy's time goes, and what was done about it",
  "",
  "CPU samples of the Local-mode proxy process (broker inside) during W1 and W2 through the gRPC generator:",
  "",
  "- **~30 %: protobuf-es** `toBinary` (~21 %, mostly ReceiveMessage parts: each message's body and properties go " +
    "through the generic reflective writer) and `fromBinary` (~11 %). Protobuf here is only ever encoded and " +
    "decoded by the generated code, so this shrinks only by making fewer `create`/`toBinary` calls; a hand-written " +
    "SendMessageResponse encoder tried last session was removed for that rule.",
  "- **The HTTP/2 layer** (proxy/adapter/h2-connection.ts): frame headers and payloads are now written in place " +
    "into one reused output buffer per connection (no 9-byte array per frame, no concat per write), and only " +
    "streams waiting to drain are checked after a write. The socket `write` is ~10 %, mostly proportional to the " +
    "bytes sent.",
  "- **Per-call objects**: the call context is a class with prototype getters instead of an object literal " +
    "defining four accessors per call (2.2 % of W1).",
  "- **The broker behind it**: acks were ~15 % of W2 (one `ack` call and one JSON.stringify'd revive record per " +
    "entry). AckMessage now acks all its entries in one batch (BrokerApi `ackBatch`; in Cluster mode " +
    "BATCH_ACK_MESSAGE, 200151) with one `bAck` record per checkpoint: W2 server CPU 44.4 -> 38.5 µs/msg in Local " +
    "mode and 71.6 -> 54.6 µs/msg in Cluster mode (A/B medians of 3 alternating runs).",
  "",
  "W1 did not move beyond the noise of the shared machine (30.5 vs 33.5 µs/msg medians over 3 alternating runs, " +
    "the removed hand-written encoder included). W3 p99 through the proxy ranged from 22 ms to 2.5 s in both " +
    "trees, following the machine's load (p50 0.6 ms when quiet); the broker-side stalls fixed for remoting " +
    "(offsets fsync, GC timer) apply to the Local-mode proxy's process as well.",
  "",
  "Connect over HTTP/1.1 (W1, one message per SendMessage, 64 calls in flight): connect-es's fetch handler " +
    "builds a Request, Headers, an AbortSignal and ReadableStream/async-iterable wrappers for every unary call, " +
    "and Bun.serve ends each response with its own write; HTTP/1.1 allows one call per connection at a time, so " +
    "nothing is coalesced. Calls now reach the handler straight from Bun's Request (the peer header set on a " +
    "copied Headers) instead of a cloned Request.",
  "",
  "The gRPC generators use a lean h2c client (bench/targets/h2-pipe.ts) because Bun's node:http2 client cost " +
    "65–120 µs of client CPU per unary call, as much as the proxy, and took its CPU on the shared cores. The lean " +
    "client indexes its request headers in HPACK as gRPC clients do. The official SDK (rocketmq-client-nodejs on " +
    "@grpc/grpc-js) costs far more per send, see its row.",
].join("\n");
