// Crypto engine benchmark: the TypeScript engine (`tsEngine`, @noble/*) against the native one
// (`nativeEngine`, @signalapp/libsignal-client), both through the one ProtocolEngine interface.
//
// Run:  npm run bench:crypto          (builds libs/crypto, then runs this file)
//  or:  npx tsc -b libs/crypto && node bench/crypto.bench.mjs [--quick] [--no-browser]
//
// Plain ESM JavaScript over libs/crypto/dist, so it needs no TypeScript loader on Node 20.
// Prints ops/s per engine and the ts/native time ratio, and writes bench/results/crypto.json and
// bench/results/crypto.md. Every case measures whole operations through the engine interface,
// including (de)serialising records to and from the in-memory stores, as an app would.
// The cases live in bench/crypto-cases.mjs. Engines are measured in alternating rounds and the
// reported ratio is the median of per-round ratios, so load from other processes on a shared
// machine hits both engines alike. The cases marked `browser` are then measured again with the
// TypeScript engine in Chromium (bench/crypto.browser.mjs); `--no-browser` skips that.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cases, measureRound, median, useLibrary } from './crypto-cases.mjs';
import { measureInChromium } from './crypto.browser.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const quick = process.argv.includes('--quick');
const withBrowser = !process.argv.includes('--no-browser');
/** Measured time per round; the reported figure is the median of ROUNDS rounds. */
const ROUND_MS = quick ? 150 : 600;
const ROUNDS = quick ? 3 : 5;

const lib = await import(join(root, 'libs/crypto/dist/index.js')).catch((e) => {
  throw new Error(`libs/crypto/dist is missing or stale: run \`npx tsc -b libs/crypto\` first (${e.message})`);
});
const nativeLib = await import(join(root, 'libs/crypto/dist/native/index.js'));
const { tsEngine } = lib;
const { nativeEngine } = nativeLib;
useLibrary(lib);

// ---------------------------------------------------------------------------------------------

const results = [];
for (const c of cases) {
  const ctx = { native: await c.prepare(nativeEngine), ts: await c.prepare(tsEngine) };
  const ops = {
    native: () => c.run(nativeEngine, ctx.native),
    ts: () => c.run(tsEngine, ctx.ts),
  };
  await ops.native(); // warm-up (JIT, WebCrypto probes, lazy tables)
  await ops.ts();
  const rates = { native: [], ts: [] };
  const ratios = [];
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? ['native', 'ts'] : ['ts', 'native'];
    for (const name of order) rates[name].push(await measureRound(ops[name], ROUND_MS));
    ratios.push(rates.native[r] / rates.ts[r]);
  }
  const row = { case: c.name, native: median(rates.native), ts: median(rates.ts), ratio: median(ratios) }; // ratio: ts time / native time
  results.push(row);
  console.log(
    `${c.name.padEnd(62)} native ${fmt(row.native).padStart(9)} ops/s   ts ${fmt(row.ts).padStart(9)} ops/s   ts/native time ${row.ratio.toFixed(1)}x`,
  );
}

let browser = null;
if (withBrowser) {
  browser = await measureInChromium({ roundMs: ROUND_MS, rounds: ROUNDS }).catch((e) => ({
    skipped: `the Chromium run failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`,
  }));
  if (browser.skipped) console.log(`\nChromium: skipped (${browser.skipped})`);
  else {
    console.log(`\n${browser.browser} (ts engine; ratio against native in Node above)`);
    for (const r of browser.results) {
      r.nativeNode = results.find((x) => x.case === r.case).native;
      r.ratio = r.nativeNode / r.ts;
      console.log(
        `${r.case.padEnd(62)} ts ${fmt(r.ts).padStart(9)} ops/s   ts(Chromium)/native(Node) time ${r.ratio.toFixed(1)}x`,
      );
    }
    console.log(
      `registration keys on a fresh page (identity + 100 one-time + signed + Kyber prekeys): ${browser.coldPreKeyMs.toFixed(0)} ms`,
    );
  }
}

/** A Markdown table laid out the way Prettier formats it (first column left, others right). */
function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)];
}

function fmt(x) {
  return x >= 100 ? Math.round(x).toString() : x.toFixed(1);
}

const libsignalVersion = JSON.parse(
  readFileSync(join(root, 'node_modules/@signalapp/libsignal-client/package.json'), 'utf8'),
).version;
const meta = {
  date: new Date().toISOString(),
  node: process.version,
  platform: `${os.platform()} ${os.arch()}`,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  loadAverage: os.loadavg().map((x) => Number(x.toFixed(2))),
  libsignalClient: libsignalVersion,
  roundMs: ROUND_MS,
  rounds: ROUNDS,
  quick,
};
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(
  join(here, 'results/crypto.json'),
  `${JSON.stringify(
    {
      meta,
      unit: 'ops/s (median of rounds); ratio = ts time / native time (median of per-round ratios; in Chromium, against the Node native median)',
      results,
      browser,
    },
    null,
    2,
  )}\n`,
);
const md = [
  '# Crypto engine benchmark',
  '',
  `Node ${meta.node}, ${meta.platform}, ${meta.cores} × ${meta.cpu} (load average ${meta.loadAverage.join(', ')}); ` +
    `libsignal-client ${meta.libsignalClient}; median of ${meta.rounds} rounds of ${meta.roundMs} ms${quick ? ' (quick mode)' : ''}; ${meta.date}.`,
  'Generated by `npm run bench:crypto` (bench/crypto.bench.mjs). Each case goes through the',
  'ProtocolEngine interface with in-memory stores, so record (de)serialisation is included.',
  'The engines run in alternating rounds; the ratio is the median of per-round ratios. Absolute',
  'figures vary from run to run on a shared machine; compare the ratios.',
  '',
  ...table(
    ['case', 'native ops/s', 'ts ops/s', 'ts/native time'],
    results.map((r) => [r.case, fmt(r.native), fmt(r.ts), `${r.ratio.toFixed(1)}×`]),
  ),
  '',
];
if (browser && !browser.skipped) {
  md.push(
    `## ${browser.browser}, TypeScript engine`,
    '',
    'Bundled with rolldown from libs/crypto/dist, served on 127.0.0.1 and driven by playwright-core',
    '(bench/crypto.browser.mjs). The ratio compares with the native engine in Node from the table above.',
    '',
    ...table(
      ['case', 'ts ops/s (Chromium)', 'ts (Chromium) / native (Node) time'],
      browser.results.map((r) => [r.case, fmt(r.ts), `${r.ratio.toFixed(1)}×`]),
    ),
    '',
    `Registration keys on a fresh page (identity + 100 one-time EC + signed EC + Kyber prekeys, including`,
    `one-time WebCrypto probes and noble table setup): ${browser.coldPreKeyMs.toFixed(0)} ms.`,
    '',
  );
} else if (browser?.skipped) {
  md.push(`Chromium run skipped: ${browser.skipped}.`, '');
}
writeFileSync(join(here, 'results/crypto.md'), md.join('\n'));
console.log(`\nwrote bench/results/crypto.json and bench/results/crypto.md`);
