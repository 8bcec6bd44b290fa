/**
 * Where the time goes, from `bun --cpu-prof --cpu-prof-md` on the server processes (BunmqStack's runtimeFlags)
 * while the same generators ran (2026-11-24, W1/W2 of 300,000 messages). The bench commands print these under
 * their tables; the shares are of the profiled process's CPU samples.
 */

export const REMOTING_PROFILE = [
  "### Where the broker's time goes",
  "",
  "Profile of the broker process during W1 (SEND_MESSAGE_V2, ASYNC_FLUSH, 300,000 messages, the lean generator), " +
    "self time of its CPU samples:",
  "",
  "- **30.7 %: the socket `write` of each response.** `Connection.send` (proto/remoting/connection.ts) calls " +
    "`socket.write` once per response frame, so a thousand requests that arrived in one read cost a thousand " +
    "write(2) calls. Coalescing the frames a connection produces in one event-loop turn into one write (queue them, " +
    "flush from `setImmediate`) took W1 from 30–36k msg/s at 23–33 µs/msg to 54–55k msg/s at 19–21 µs/msg in " +
    "interleaved runs of a patched copy (a `queueMicrotask` flush gains nothing: the flush runs before the other " +
    "handlers' continuations).",
  "- **16 %: decoding the ROCKETMQ header.** `decodeRocketmqHeader` calls `TextDecoder.decode` (8.5 %) on a " +
    "`subarray` (7.8 %) for every extFields key and value: 26 calls and 26 views for a SEND_MESSAGE_V2's 13 fields. " +
    "Keys and most values are short ASCII; reading them with `String.fromCharCode` (or a small key intern table) " +
    "and without views avoids both.",
  "- **~9 %: generic header plumbing.** `Object.entries` in `readHeader`, `toExtFields` and the header encoder " +
    "(4.6 %), `new DataView(x.buffer …)` in encodeFrame/decodeFrame (`get buffer` 4.1 %), and the FrameDecoder's " +
    "copy of every frame (`slice` 2.5 %).",
  "- **~10 %: the engine itself** (broker/send.ts down to the CommitLog, ConsumeQueue and index), which is why the " +
    "in-process engine runs several times faster than the same appends behind the network layer.",
  "",
  "Profile during W2 (PULL_MESSAGE): `readRecord` (broker/store/read-messages.ts) took 31.5 % of the broker's " +
    "samples: each pulled record is decoded into a MessageExt (properties 3.5 %, the offset message id's `hex32` " +
    "5.4 %) only for the handler to send `m.raw` back. RocketMQ copies the stored bytes after the ConsumeQueue " +
    "tagsCode check; a raw read for pulls whose filter needs no properties (`*`, or a tag whose hash does not match) " +
    "would skip that work. (Store commit 2119c13, zero-copy reads with a caching decoder, landed after this profile.)",
].join("\n");

export const PROXY_PROFILE = [
  "### Where the proxy's time goes",
  "",
  "Profile of the Local-mode proxy process during W1 (one message per SendMessage, 256 calls in flight, 40,000 " +
    "messages), self time of its CPU samples:",
  "",
  "- **27.4 %: Bun's node:http2 `flush`, called from the response stream's `_final`.** Every unary response " +
    "(headers, one DATA frame, trailers) ends with its own flush of the session socket, so answers to calls in " +
    "flight together are not coalesced; `request` (4.2 %) and `sendTrailers` (1.9 %) add to it. The HTTP/2 layer " +
    "costs more than the broker's whole send path behind it. A hand-rolled HTTP/2 server that writes all frames " +
    "ready in one turn at once (the proxy's owner has one in progress: proxy/adapter/h2-*.ts) removes this.",
  "- **~10 %: protobuf decode and encode** (`fromBinary` 7.3 % total; `create` and `toBinary`).",
  "- **Batched SendMessage is sequential.** proxy/rpc/send-message.ts awaits each message's `backend.sendMessage` " +
    "in turn, so a 16-message request makes 16 store round trips one after the other and its messages never share " +
    "a write or a group commit. Sending them all at once (Promise.all, or BrokerApi.sendBatch when they go to one " +
    "queue) is what SEND_BATCH_MESSAGE gets for free.",
  "",
  "The gRPC generators use a lean h2c client (bench/targets/h2-pipe.ts) because Bun's node:http2 client cost " +
    "65–120 µs of client CPU per unary call, as much as the proxy, and took its CPU on the shared cores: with it " +
    "the Local-mode W1 was 4–15k msg/s, with the lean client 16–20k msg/s at 20–24 µs of client CPU per message. " +
    "The official SDK (rocketmq-client-nodejs on @grpc/grpc-js) costs far more per send, see its row.",
].join("\n");
