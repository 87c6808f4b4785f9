/** Test-only access to a ts-engine session record (to fast-forward chains or craft messages). */
import type { ProtocolAddress } from '../../src/address.js';
import { decodeSessionRecord, encodeSessionRecord, type SessionRecordData } from '../../src/session/state.js';
import { nextChainKey } from '../../src/ratchet/keys.js';
import type { Party } from './parties.js';

export async function editTsSession(
  p: Party,
  peer: ProtocolAddress,
  edit: (r: SessionRecordData) => void,
): Promise<void> {
  const bytes = await p.stores.session.loadSession(peer);
  if (!bytes) throw new Error('no session');
  const r = decodeSessionRecord(bytes);
  edit(r);
  await p.stores.session.storeSession(peer, encodeSessionRecord(r));
}

/** Advances the current sending chain by `n` real chain steps, as if `n` messages were sent and lost. */
export function skipSendingChain(n: number) {
  return (r: SessionRecordData) => {
    const s = r.current!.sender;
    for (let i = 0; i < n; i++) s.chainKey = nextChainKey(s.chainKey);
    s.index += n;
  };
}
