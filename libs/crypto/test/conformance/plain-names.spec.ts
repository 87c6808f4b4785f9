/**
 * Sessions between addresses whose names are not ServiceIds: libsignal then omits the
 * `addresses` field of PreKey-wrapped messages, and so must we.
 */
import { describe, expect, it } from '@jest/globals';
import { decodePreKeySignalMessage, decodeSignalMessage } from '../../src/proto/messages.js';
import { MATRIX } from '../support/engines.js';
import { makeParty, publishBundle, receive, send } from '../support/parties.js';

describe.each(MATRIX.map(([a, b]) => [a.name, b.name, a, b] as const))(
  'plain-name session %s -> %s',
  (_a, _b, ae, be) => {
    it('works without the addresses field', async () => {
      const alice = await makeParty(ae, 'alice');
      const bob = await makeParty(be, 'bob', 2);
      await alice.engine.processPreKeyBundle(await publishBundle(bob), bob.address, alice.address, alice.stores);
      const m1 = await send(alice, bob, 'hello');
      expect(decodeSignalMessage(decodePreKeySignalMessage(m1.body).message).addresses).toBeUndefined();
      expect(await receive(bob, alice, m1)).toBe('hello');
      expect(await receive(alice, bob, await send(bob, alice, 'hi back'))).toBe('hi back');
    });
  },
);
