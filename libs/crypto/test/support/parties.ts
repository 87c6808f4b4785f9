/**
 * Test parties: an engine, in-memory stores, an address, and published prekeys.
 */
import { ProtocolAddress } from '../../src/address.js';
import { IdentityKeyPair } from '../../src/curve.js';
import type { CiphertextMessage, PreKeyBundle, ProtocolEngine } from '../../src/engine.js';
import { inMemoryStores, type InMemoryStores } from './memory-stores.js';

export interface Party {
  engine: ProtocolEngine;
  address: ProtocolAddress;
  stores: InMemoryStores;
  identityPublic: Uint8Array;
  registrationId: number;
}

let nextReg = 1000;
let nextKeyId = 1;

export async function makeParty(engine: ProtocolEngine, name: string, deviceId = 1): Promise<Party> {
  const ikp = await engine.keys.generateIdentityKeyPair();
  const registrationId = nextReg++;
  return {
    engine,
    address: new ProtocolAddress(name, deviceId),
    stores: inMemoryStores(ikp, registrationId),
    identityPublic: IdentityKeyPair.deserialize(ikp).publicKey.serialize(),
    registrationId,
  };
}

/** Creates and stores signed, Kyber and (optionally) one-time prekeys with `party`'s engine; returns the bundle. */
export async function publishBundle(
  party: Party,
  opts: { oneTime?: boolean; lastResortKyber?: boolean } = {},
): Promise<PreKeyBundle> {
  const { engine, stores } = party;
  const ikp = IdentityKeyPair.deserialize(await stores.identity.getIdentityKeyPair());
  const identityPrivate = ikp.privateKey.serialize();
  const spk = await engine.keys.generateKeyPair();
  const spkId = nextKeyId++;
  const spkSig = await engine.keys.sign(identityPrivate, spk.publicKey);
  await stores.signedPreKey.storeSignedPreKey(
    spkId,
    await engine.records.signedPreKeyRecord(spkId, Date.now(), spk, spkSig),
  );
  const kyber = await engine.keys.generateKemKeyPair();
  const kyberId = nextKeyId++;
  const kyberSig = await engine.keys.sign(identityPrivate, kyber.publicKey);
  await stores.kyberPreKey.storeKyberPreKey(
    kyberId,
    await engine.records.kyberPreKeyRecord(kyberId, Date.now(), kyber, kyberSig),
  );
  if (opts.lastResortKyber) stores.kyberPreKey.lastResort.add(kyberId);
  let preKeyId: number | null = null;
  let preKey: Uint8Array | null = null;
  if (opts.oneTime !== false) {
    const opk = await engine.keys.generateKeyPair();
    preKeyId = nextKeyId++;
    preKey = opk.publicKey;
    await stores.preKey.storePreKey(preKeyId, await engine.records.preKeyRecord(preKeyId, opk));
  }
  return {
    registrationId: party.registrationId,
    deviceId: party.address.deviceId,
    preKeyId,
    preKey,
    signedPreKeyId: spkId,
    signedPreKey: spk.publicKey,
    signedPreKeySignature: spkSig,
    identityKey: party.identityPublic,
    kyberPreKeyId: kyberId,
    kyberPreKey: kyber.publicKey,
    kyberPreKeySignature: kyberSig,
  };
}

export const utf8 = (s: string) => new TextEncoder().encode(s);
export const text = (b: Uint8Array) => new TextDecoder().decode(b);

export function send(from: Party, to: Party, msg: string): Promise<CiphertextMessage> {
  return from.engine.encrypt(utf8(msg), to.address, from.address, from.stores);
}

export async function receive(to: Party, from: Party, m: CiphertextMessage): Promise<string> {
  return text(await to.engine.decrypt(m, from.address, to.address, to.stores));
}
