/**
 * Property: any interleaving of sends and deliveries (within the receiver-chain limit) decrypts
 * every message exactly once, and a second delivery is a DuplicatedMessage. ts<->ts and
 * ts<->native in both roles; numRuns kept modest for the 2-core CI machine.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { CiphertextMessage, ProtocolEngine } from '../../src/engine.js';
import { tsEngine } from '../../src/index.js';
import { nativeEngine } from '../../src/native/index.js';
import { ALICE, BOB } from '../support/engines.js';
import { expectProtocolError } from '../support/expect-code.js';
import { makeParty, publishBundle, receive, send, type Party } from '../support/parties.js';

type Cmd = { kind: 'send'; fromAlice: boolean } | { kind: 'deliver'; toBob: boolean; pick: number };

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({ kind: fc.constant('send' as const), fromAlice: fc.boolean() }),
  fc.record({ kind: fc.constant('deliver' as const), toBob: fc.boolean(), pick: fc.nat(1000) }),
);

async function run(ae: ProtocolEngine, be: ProtocolEngine, cmds: Cmd[]) {
  const alice = await makeParty(ae, ALICE);
  const bob = await makeParty(be, BOB);
  await alice.engine.processPreKeyBundle(await publishBundle(bob), bob.address, alice.address, alice.stores);
  // Bob can only answer once he has a session: the first message goes through first.
  expect(await receive(bob, alice, await send(alice, bob, 'first'))).toBe('first');
  const inflight = {
    toBob: [] as { m: CiphertextMessage; t: string }[],
    toAlice: [] as { m: CiphertextMessage; t: string }[],
  };
  const delivered: { to: Party; from: Party; m: CiphertextMessage }[] = [];
  let n = 0;
  const deliver = async (toBob: boolean, pick: number) => {
    const q = toBob ? inflight.toBob : inflight.toAlice;
    if (q.length === 0) return;
    const [{ m, t }] = q.splice(pick % q.length, 1);
    const [to, from] = toBob ? [bob, alice] : [alice, bob];
    expect(await receive(to, from, m)).toBe(t);
    delivered.push({ to, from, m });
  };
  for (const c of cmds) {
    if (c.kind === 'send') {
      const t = `m${n++}`;
      if (c.fromAlice) inflight.toBob.push({ m: await send(alice, bob, t), t });
      else inflight.toAlice.push({ m: await send(bob, alice, t), t });
    } else await deliver(c.toBob, c.pick);
  }
  while (inflight.toBob.length) await deliver(true, 0);
  while (inflight.toAlice.length) await deliver(false, 0);
  for (const d of delivered.slice(0, 3))
    await expectProtocolError(d.to.engine.decrypt(d.m, d.from.address, d.to.address, d.to.stores), 'DuplicatedMessage');
}

// ≤ 20 commands cannot push a held message more than MAX_RECEIVER_CHAINS (5) ratchet steps back.
const cmdsArb = fc.array(cmdArb, { minLength: 1, maxLength: 20 });

describe('session property: every message decrypts exactly once', () => {
  it('ts -> ts', async () => {
    await fc.assert(
      fc.asyncProperty(cmdsArb, (cmds) => run(tsEngine, tsEngine, cmds)),
      { numRuns: 12 },
    );
  });
  it('ts -> native', async () => {
    await fc.assert(
      fc.asyncProperty(cmdsArb, (cmds) => run(tsEngine, nativeEngine, cmds)),
      { numRuns: 10 },
    );
  });
  it('native -> ts', async () => {
    await fc.assert(
      fc.asyncProperty(cmdsArb, (cmds) => run(nativeEngine, tsEngine, cmds)),
      { numRuns: 10 },
    );
  });
});
