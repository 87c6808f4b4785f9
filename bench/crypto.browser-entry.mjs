// Browser entry of the crypto benchmark: bundled with the TypeScript engine by
// bench/crypto.browser.mjs and run in Chromium. Exposes `globalThis.runCryptoBench`.
import * as lib from '../libs/crypto/dist/index.js';
import { cases, coldPreKeyGeneration, measure, useLibrary } from './crypto-cases.mjs';

useLibrary(lib);

globalThis.runCryptoBench = async ({ roundMs, rounds }) => {
  const engine = lib.tsEngine;
  // First, on a fresh page: what an app pays once at registration (WebCrypto probes, noble tables).
  const coldPreKeyMs = await coldPreKeyGeneration(engine);
  const results = [];
  for (const c of cases.filter((x) => x.browser)) {
    const ctx = await c.prepare(engine);
    results.push({ case: c.name, ts: await measure(() => c.run(engine, ctx), { roundMs, rounds }) });
  }
  return { userAgent: navigator.userAgent, coldPreKeyMs, results };
};
