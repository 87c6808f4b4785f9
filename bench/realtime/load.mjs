// Load client of the realtime bench: a lean client speaking the api's wire protocol (Socket.IO over
// a websocket, see wire-client.mjs; socket.io-client and the full SDK would saturate first).
// Input: a JSON config file (argv[2]). Prints one JSON line per phase prefixed with RESULT, and
// PHASE_START / PHASE_END markers so the orchestrator can sample server CPU and RSS.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { WireSocket } from './wire-client.mjs';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { urls, devices, pairs, payloadSizes, rates, stepSeconds, saturationSeconds, saturationWindow } = config;
const say = (line) => process.stdout.write(`${line}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
const summary = (values) => {
  const sorted = Float64Array.from(values).sort();
  const r = (v) => (v === null ? null : Math.round(v * 100) / 100);
  return { p50: r(percentile(sorted, 50)), p95: r(percentile(sorted, 95)), p99: r(percentile(sorted, 99)) };
};

// ---- connect every device -------------------------------------------------------------------
const sockets = new Array(devices.length);
let phase = null; // { delivered: [], acked: [], counts }
let cmidSeq = 0;
const pendingAcks = new Map(); // socket index -> { ids: envelope ids, phase: the phase they belong to }
// Recipient acks go with a callback: an envelope counts as acked once the server answered ok (it
// left the queue), and the time from receipt to that answer is measured.
setInterval(() => {
  for (const [i, { ids, byPhase, receivedAt }] of pendingAcks) {
    while (ids.length) {
      const batch = ids.splice(0, 100);
      const owners = byPhase.splice(0, batch.length);
      const received = receivedAt.splice(0, batch.length);
      sockets[i].emit('message:ack', { envelopeIds: batch }, (answer) => {
        const at = performance.now();
        owners.forEach((p, k) => {
          if (!p) return;
          if (answer?.ok) {
            p.recipientAcked++;
            p.recipientAckLatency.push(at - received[k]);
          } else {
            p.errors++;
            const code = `ack:${answer?.error?.code ?? 'NO_ANSWER'}`;
            p.errorCodes[code] = (p.errorCodes[code] ?? 0) + 1;
          }
        });
      });
    }
  }
  pendingAcks.clear();
}, 5).unref();

function onEnvelope(i, envelope) {
  // The 12-byte header is the first 16 base64 characters; the rest is filler.
  const bytes = Buffer.from(envelope.ciphertext.slice(0, 16), 'base64');
  const sentAt = bytes.readDoubleLE(0);
  const run = bytes.readUInt32LE(8);
  // A redelivery (reconnect, drain after a live push) is acked again but counted once per phase.
  const current = phase && run === phase.run && !phase.seen.has(envelope.messageId) ? phase : null;
  if (current) {
    current.seen.add(envelope.messageId);
    current.lastDeliveredAt = performance.now();
    current.deliveredLatency.push(current.lastDeliveredAt - sentAt);
    current.delivered++;
  }
  let entry = pendingAcks.get(i);
  if (!entry) pendingAcks.set(i, (entry = { ids: [], byPhase: [], receivedAt: [] }));
  entry.ids.push(envelope.id);
  entry.byPhase.push(current);
  entry.receivedAt.push(performance.now());
}

/** `error` events from the server (refused acks, expired tokens...): counted, never ignored. */
function onServerError(error) {
  if (!phase) return;
  phase.errors++;
  const code = `event:${error?.code ?? 'UNKNOWN'}`;
  phase.errorCodes[code] = (phase.errorCodes[code] ?? 0) + 1;
}

const connectStarted = performance.now();
let next = 0;
let failures = 0;
let connected = 0;
// The second half's RSS growth is the marginal memory of an idle device: the pools, JIT code and
// young-generation growth of the first connects are not per device.
const half = Math.floor(devices.length / 2);
async function connectOne(i) {
  const device = devices[i];
  const socket = new WireSocket(urls[i % urls.length], { token: device.token });
  sockets[i] = socket;
  socket.on('message:new', (e) => onEnvelope(i, e));
  socket.on('error', onServerError);
  await new Promise((resolve) => {
    socket.on('queue:empty', resolve);
    socket.on('connect_error', () => {
      failures++;
      resolve();
    });
  });
  if (++connected === half) say('PHASE_START connect-second-half');
}
say('PHASE_START connect');
await Promise.all(
  Array.from({ length: Math.min(config.connectConcurrency ?? 100, devices.length) }, async () => {
    while (next < devices.length) await connectOne(next++);
  }),
);
const connectSeconds = (performance.now() - connectStarted) / 1000;
if (half > 0) say('PHASE_END connect-second-half');
say('PHASE_END connect');
say(
  `RESULT ${JSON.stringify({ phase: 'connect', devices: devices.length, failures, seconds: connectSeconds, connectsPerSecond: devices.length / connectSeconds, secondHalf: devices.length - half })}`,
);
await sleep(1500);
say('PHASE_START idle');
await sleep(1000);
say('PHASE_END idle');

// ---- send phases ------------------------------------------------------------------------------
// A ciphertext is a 12-byte header (send time, run) and filler. 12 bytes are exactly 16 base64
// characters, so base64(header) + base64(filler) is base64 of the whole: the filler is encoded once.
const HEADER_BYTES = 12;
const fillers = new Map();
const header = Buffer.alloc(HEADER_BYTES);
function makeCiphertext(size, run) {
  let filler = fillers.get(size);
  if (filler === undefined) fillers.set(size, (filler = Buffer.alloc(size - HEADER_BYTES, 7).toString('base64')));
  header.writeDoubleLE(performance.now(), 0);
  header.writeUInt32LE(run, 8);
  return header.toString('base64') + filler;
}

let run = 0;
function sendOne(pairIndex, size, onAcked) {
  const pair = pairs[pairIndex];
  const sender = pair[0];
  const recipient = devices[pair[1]];
  const t0 = performance.now();
  const current = phase;
  sockets[sender].emit(
    'message:send',
    {
      clientMessageId: `b${run}-${++cmidSeq}`,
      recipientUserId: recipient.userId,
      envelopes: [
        {
          deviceId: recipient.deviceId,
          registrationId: recipient.registrationId,
          type: 2,
          ciphertext: makeCiphertext(size, current.run),
        },
      ],
    },
    (answer) => {
      if (answer?.ok) {
        current.lastAckedAt = performance.now();
        current.ackLatency.push(current.lastAckedAt - t0);
        current.acked++;
      } else {
        current.errors++;
        current.sendErrors++;
        const code = answer?.error?.code ?? 'NO_ANSWER';
        current.errorCodes[code] = (current.errorCodes[code] ?? 0) + 1;
      }
      onAcked?.();
    },
  );
  current.sent++;
}

function newPhase() {
  const now = performance.now();
  return {
    run: ++run,
    sent: 0,
    acked: 0,
    delivered: 0,
    errors: 0,
    sendErrors: 0,
    errorCodes: {},
    ackLatency: [],
    deliveredLatency: [],
    seen: new Set(),
    recipientAcked: 0,
    recipientAckLatency: [],
    started: now,
    lastDeliveredAt: now,
    lastAckedAt: now,
  };
}

/**
 * Waits (up to 60 s) until every message of the phase was answered and delivered, so no backlog
 * spills into the next one; what is still missing then is reported as `undrained`.
 */
async function settle() {
  const deadline = performance.now() + 60_000;
  const open = () =>
    phase.acked + phase.sendErrors < phase.sent ||
    phase.delivered < phase.acked ||
    phase.recipientAcked + countOf(phase, 'ack:') < phase.delivered;
  while (performance.now() < deadline && open()) await sleep(20);
  await sleep(200);
}

const countOf = (p, prefix) =>
  Object.entries(p.errorCodes).reduce((n, [code, count]) => (code.startsWith(prefix) ? n + count : n), 0);

async function rateStep(size, rate) {
  phase = newPhase();
  const name = `rate-${size}-${rate}`;
  say(`PHASE_START ${name}`);
  const started = performance.now();
  const end = started + stepSeconds * 1000;
  let p = 0;
  while (performance.now() < end) {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    while (phase.sent < due) {
      sendOne(p, size);
      p = (p + 1) % pairs.length;
    }
    await sleep(1);
  }
  const sendSeconds = (performance.now() - started) / 1000;
  await settle();
  say(`PHASE_END ${name}`); // after the tail: server CPU covers every message of the phase
  report(name, { size, targetRate: rate, seconds: sendSeconds });
}

async function saturationStep(size) {
  phase = newPhase();
  const name = `saturate-${size}`;
  say(`PHASE_START ${name}`);
  const started = performance.now();
  const end = started + saturationSeconds * 1000;
  let p = 0;
  await new Promise((resolve) => {
    let inFlight = 0;
    const pump = () => {
      while (inFlight < saturationWindow && performance.now() < end) {
        inFlight++;
        sendOne(p, size, () => {
          inFlight--;
          if (performance.now() < end) setImmediate(pump);
          else if (inFlight === 0) resolve();
        });
        p = (p + 1) % pairs.length;
      }
    };
    pump();
  });
  const seconds = (performance.now() - started) / 1000;
  await settle();
  say(`PHASE_END ${name}`);
  report(name, { size, targetRate: null, seconds });
}

function report(name, extra) {
  const {
    sent,
    acked,
    delivered,
    errors,
    errorCodes,
    ackLatency,
    deliveredLatency,
    started,
    lastDeliveredAt,
    lastAckedAt,
    recipientAcked,
    recipientAckLatency,
  } = phase;
  // Rates over the time it really took (to the last delivery), so a backlog drained after the send
  // window does not count as sustained throughput.
  const span = (end) => Math.max(extra.seconds, (end - started) / 1000);
  say(
    `RESULT ${JSON.stringify({
      phase: name,
      ...extra,
      sent,
      acked,
      delivered,
      // Sent messages not answered, not delivered, or whose delivery the recipient's ack did not
      // confirm (the envelope would still be queued on the server).
      undrained: Math.max(0, sent - phase.sendErrors - Math.min(acked, delivered, recipientAcked)),
      errors,
      errorCodes,
      recipientAcked,
      recipientAckMs: summary(recipientAckLatency),
      ackedPerSecond: acked / span(lastAckedAt),
      deliveredPerSecond: delivered / span(lastDeliveredAt),
      ackMs: summary(ackLatency),
      deliveryMs: summary(deliveredLatency),
    })}`,
  );
}

/** One message each way per pair, unmeasured: the api's per-pair caches start warm, as in steady use. */
async function warmUp() {
  phase = newPhase();
  for (let p = 0; p < pairs.length; p++) {
    sendOne(p, payloadSizes[0]);
    if (p % 500 === 499) await sleep(50);
  }
  await settle();
}

await warmUp();
for (const size of payloadSizes) {
  for (const rate of rates) await rateStep(size, rate);
  if (config.saturate !== false) await saturationStep(size);
}
for (const s of sockets) s?.close();
say('DONE');
process.exit(0);
