// Regenerates test/vectors/sender-keys.json from @signalapp/libsignal-client (the reference).
//   node libs/crypto/test/vectors/sender-keys.generate.mjs
// A SenderKeyRecordStructure (storage.proto) with a fixed chain key and signing key is loaded into
// libsignal, which then encrypts fixed plaintexts with groupEncrypt. The signature is randomised
// (XEdDSA nonce), so the vectors keep only the deterministic parts: the message fields and the
// AES-256-CBC ciphertext, plus libsignal's serialized SKDM and records and one signed copy of
// each message.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import * as signal from '@signalapp/libsignal-client';

const hex = (b) => Buffer.from(b).toString('hex');
const chainKey = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const signingPrivate = signal.PrivateKey.deserialize(Uint8Array.from({ length: 32 }, (_, i) => 0x40 + i));
const signingPublic = signingPrivate.getPublicKey().serialize();
const chainId = 0x1234567;
const startIteration = 7;
const distributionId = '7e570000-0000-4000-8000-00000000cafe';
const sender = signal.ProtocolAddress.new('a11ce000-0000-4000-8000-000000000001', 1);

const w = new BinaryWriter();
w.tag(1, WireType.LengthDelimited).fork();
w.tag(1, WireType.Varint).uint32(chainId);
w.tag(2, WireType.LengthDelimited)
  .fork()
  .tag(1, WireType.Varint)
  .uint32(startIteration)
  .tag(2, WireType.LengthDelimited)
  .bytes(chainKey)
  .join();
w.tag(3, WireType.LengthDelimited)
  .fork()
  .tag(1, WireType.LengthDelimited)
  .bytes(signingPublic)
  .tag(2, WireType.LengthDelimited)
  .bytes(signingPrivate.serialize())
  .join();
w.tag(5, WireType.Varint).uint32(3);
w.join();
let record = w.finish();

class Store extends signal.SenderKeyStore {
  async saveSenderKey(_a, _d, r) {
    record = r.serialize();
  }
  async getSenderKey() {
    return signal.SenderKeyRecord.deserialize(record);
  }
}
const store = new Store();
const initialRecord = hex(record);
const skdm = await signal.SenderKeyDistributionMessage.create(sender, distributionId, store);
const plaintexts = [
  '',
  'hello group',
  'x'.repeat(16),
  'sixty-four bytes of text, exactly: 0123456789abcdefghijklmnopqrs',
];
const messages = [];
for (const p of plaintexts) {
  const bytes = new TextEncoder().encode(p);
  const m = signal.SenderKeyMessage.deserialize(
    (await signal.groupEncrypt(sender, distributionId, store, bytes)).serialize(),
  );
  if (!m.verifySignature(signingPrivate.getPublicKey())) throw new Error('reference signature check failed');
  messages.push({
    iteration: m.iteration(),
    plaintext: hex(bytes),
    ciphertext: hex(m.ciphertext()),
    // Everything before the 64-byte signature: 0x33 || protobuf.
    signedPart: hex(m.serialize().subarray(0, m.serialize().length - 64)),
    // One valid serialization (the signature differs on every run).
    serialized: hex(m.serialize()),
  });
}
const out = {
  source: `@signalapp/libsignal-client ${JSON.parse((await import('node:fs')).readFileSync(join(dirname(fileURLToPath(import.meta.resolve('@signalapp/libsignal-client'))), '../package.json'), 'utf8')).version} via sender-keys.generate.mjs`,
  distributionId,
  chainId,
  startIteration,
  chainKey: hex(chainKey),
  signingPublic: hex(signingPublic),
  signingPrivate: hex(signingPrivate.serialize()),
  initialRecord,
  skdm: hex(skdm.serialize()),
  messages,
  finalRecord: hex(record),
};
const dir = dirname(fileURLToPath(import.meta.url));
writeFileSync(join(dir, 'sender-keys.json'), `${JSON.stringify(out, null, 2)}\n`);
console.log('wrote', join(dir, 'sender-keys.json'));
