/**
 * Sender keys (group messaging) in pure TypeScript on `@noble/*`, byte-compatible with libsignal
 * 0.103 (`rust/protocol/src/group_cipher.rs`, `sender_keys.rs`; wire notes §9):
 *
 * - chain step `CK' = HMAC(CK, 0x02)`, message seed `HMAC(CK, 0x01)`;
 * - `o = HKDF-SHA256(seed, no salt, "WhisperGroup", 48)`, IV = `o[0..16]`, key = `o[16..48]`;
 * - AES-256-CBC with PKCS#7; the message is signed with XEdDSA by the chain's signing key.
 *
 * Every operation decodes the stored record, works on that private copy and saves it only after
 * success, so a rejected message (bad signature, duplicate, bad padding) leaves the store as it was.
 * @module
 */
import { cbc } from '@noble/ciphers/aes.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { ProtocolAddress } from '../address.js';
import { abytes, concat, defaultRng, wipe, type Rng } from '../bytes.js';
import { XEDDSA_RANDOM_LENGTH } from '../constants.js';
import { PrivateKey, PublicKey } from '../curve.js';
import { ProtocolError } from '../errors.js';
import type { GroupCipher, SenderKeyStore } from './api.js';
import {
  MAX_SENDER_KEY_ITERATION,
  SENDER_CHAIN_KEY_LENGTH,
  SENDER_CHAIN_KEY_SEED,
  SENDER_KEY_CIPHER_KEY_LENGTH,
  SENDER_KEY_DERIVED_LENGTH,
  SENDER_KEY_HKDF_INFO,
  SENDER_KEY_IV_LENGTH,
  SENDER_KEY_MAX_FORWARD_JUMPS,
  SENDER_KEY_MAX_MESSAGE_KEYS,
  SENDER_KEY_MESSAGE_VERSION,
  SENDER_MESSAGE_KEY_SEED,
} from './constants.js';
import { SenderKeyDistributionMessage, SenderKeyMessage } from './distribution-message.js';
import { encodeSenderKeyMessageBody, normalizeDistributionId } from './messages.js';
import {
  addMessageKey,
  addSenderKeyState,
  decodeSenderKeyRecord,
  encodeSenderKeyRecord,
  stateForChainId,
  takeMessageKey,
  type SenderKeyRecordData,
  type SenderKeyState,
} from './record.js';

/**
 * Derives the AES key and IV of one group message from its seed.
 * @param seed 32-byte message-key seed `HMAC(CK, 0x01)`
 * @returns `{ iv, key }`: 16-byte IV and 32-byte AES-256 key (caller wipes them)
 */
export function deriveSenderMessageKeys(seed: Uint8Array): { iv: Uint8Array; key: Uint8Array } {
  abytes('seed', seed);
  const o = hkdf(sha256, seed, undefined, SENDER_KEY_HKDF_INFO, SENDER_KEY_DERIVED_LENGTH);
  const iv = o.slice(0, SENDER_KEY_IV_LENGTH);
  const key = o.slice(SENDER_KEY_IV_LENGTH, SENDER_KEY_IV_LENGTH + SENDER_KEY_CIPHER_KEY_LENGTH);
  wipe(o);
  return { iv, key };
}

/** `HMAC(CK, 0x01)`: the message-key seed at the chain key's iteration. */
function messageSeed(chainKey: Uint8Array): Uint8Array {
  return hmac(sha256, chainKey, SENDER_MESSAGE_KEY_SEED);
}

/** `HMAC(CK, 0x02)`: the next chain key. */
function nextChainKey(chainKey: Uint8Array): Uint8Array {
  return hmac(sha256, chainKey, SENDER_CHAIN_KEY_SEED);
}

/** The TypeScript {@link GroupCipher}. Stateless apart from the RNG; all state is in the store. */
export class TsGroupCipher implements GroupCipher {
  readonly #rng: Rng;

  /**
   * @param rng randomness for chain ids, chain keys, signing keys and XEdDSA nonces
   *   (default `crypto.getRandomValues`; inject only for deterministic tests)
   */
  constructor(rng: Rng = defaultRng) {
    this.#rng = rng;
  }

  /** {@inheritDoc GroupCipher.createDistributionMessage} */
  async createDistributionMessage(
    sender: ProtocolAddress,
    distributionId: string,
    store: SenderKeyStore,
  ): Promise<Uint8Array> {
    const id = normalizeDistributionId(distributionId);
    const stored = await store.getSenderKey(sender, id);
    let record: SenderKeyRecordData;
    if (stored === null) {
      record = { states: [] };
      const signing = PrivateKey.generate(this.#rng);
      const idBytes = this.#rng(4);
      // A random u32 shifted right once: libsignal-protocol-java keeps chain ids in a signed int.
      const chainId = new DataView(idBytes.buffer, idBytes.byteOffset, 4).getUint32(0) >>> 1;
      addSenderKeyState(record, {
        messageVersion: SENDER_KEY_MESSAGE_VERSION,
        chainId,
        chainIteration: 0,
        chainKey: abytes('rng output', this.#rng(SENDER_CHAIN_KEY_LENGTH), SENDER_CHAIN_KEY_LENGTH),
        signingPublic: signing.getPublicKey().serialize(),
        signingPrivate: signing.serialize(),
        messageKeys: [],
      });
      signing.wipe();
      await store.saveSenderKey(sender, id, encodeSenderKeyRecord(record));
    } else {
      record = decodeRecord(stored);
    }
    const state = record.states[0];
    if (!state) throw invalidSession();
    return SenderKeyDistributionMessage.fromFields({
      distributionId: id,
      chainId: state.chainId,
      iteration: state.chainIteration,
      chainKey: state.chainKey,
      signingKey: state.signingPublic,
    }).serialize();
  }

  /** {@inheritDoc GroupCipher.processDistributionMessage} */
  async processDistributionMessage(sender: ProtocolAddress, bytes: Uint8Array, store: SenderKeyStore): Promise<void> {
    const message = SenderKeyDistributionMessage.deserialize(bytes);
    const id = message.distributionId;
    const stored = await store.getSenderKey(sender, id);
    const record = stored === null ? { states: [] } : decodeRecord(stored);
    addSenderKeyState(record, {
      messageVersion: message.messageVersion,
      chainId: message.chainId,
      chainIteration: message.iteration,
      chainKey: message.chainKey(),
      signingPublic: message.signingKey.serialize(),
      signingPrivate: undefined,
      messageKeys: [],
    });
    await store.saveSenderKey(sender, id, encodeSenderKeyRecord(record));
  }

  /** {@inheritDoc GroupCipher.encrypt} */
  async encrypt(
    sender: ProtocolAddress,
    distributionId: string,
    store: SenderKeyStore,
    plaintext: Uint8Array,
  ): Promise<Uint8Array> {
    abytes('plaintext', plaintext);
    const id = normalizeDistributionId(distributionId);
    const stored = await store.getSenderKey(sender, id);
    if (stored === null) throw noState();
    const record = decodeRecord(stored);
    const state = record.states[0];
    if (!state || !state.signingPrivate || state.messageVersion !== SENDER_KEY_MESSAGE_VERSION) {
      throw invalidSession();
    }
    if (state.chainIteration >= MAX_SENDER_KEY_ITERATION) {
      throw new ProtocolError('InvalidState', 'sender chain is too long');
    }
    const seed = messageSeed(state.chainKey);
    const { iv, key } = deriveSenderMessageKeys(seed);
    const ciphertext = cbc(key, iv).encrypt(plaintext);
    wipe(seed, iv, key);
    const body = encodeSenderKeyMessageBody(id, state.chainId, state.chainIteration, ciphertext);
    const signing = PrivateKey.deserialize(state.signingPrivate);
    const signature = signing.sign(body, this.#rng(XEDDSA_RANDOM_LENGTH));
    signing.wipe();
    const next = nextChainKey(state.chainKey);
    wipe(state.chainKey);
    state.chainKey = next;
    state.chainIteration += 1;
    await store.saveSenderKey(sender, id, encodeSenderKeyRecord(record));
    return concat(body, signature);
  }

  /** {@inheritDoc GroupCipher.decrypt} */
  async decrypt(sender: ProtocolAddress, store: SenderKeyStore, message: Uint8Array): Promise<Uint8Array> {
    const parsed = SenderKeyMessage.deserialize(message);
    const id = parsed.distributionId;
    const stored = await store.getSenderKey(sender, id);
    if (stored === null) throw noState();
    const record = decodeRecord(stored);
    const state = stateForChainId(record, parsed.chainId);
    if (!state) throw noState();
    if (parsed.messageVersion !== state.messageVersion) {
      throw new ProtocolError('UnrecognizedMessageVersion', `unrecognized message version ${parsed.messageVersion}`);
    }
    let signingKey: PublicKey;
    try {
      signingKey = PublicKey.deserialize(state.signingPublic);
    } catch {
      throw invalidSession();
    }
    if (!(await parsed.verifySignatureAsync(signingKey))) {
      throw new ProtocolError('SignatureValidationFailed', 'sender key message signature validation failed');
    }
    const seed = takeSenderKeySeed(state, parsed.iteration);
    const { iv, key } = deriveSenderMessageKeys(seed);
    let plaintext: Uint8Array;
    try {
      plaintext = cbc(key, iv).decrypt(parsed.ciphertext());
    } catch {
      throw new ProtocolError('InvalidMessage', 'sender key message decryption failed');
    } finally {
      wipe(seed, iv, key);
    }
    await store.saveSenderKey(sender, id, encodeSenderKeyRecord(record));
    return plaintext;
  }
}

/**
 * Returns the message seed for `iteration` and updates `state` (libsignal `get_sender_key`):
 * an older iteration takes its stored skipped seed (or is a duplicate); a newer one advances the
 * chain, storing the seeds it skips.
 * @throws ProtocolError `DuplicatedMessage`, `InvalidMessage` (jump too far) or `InvalidState`
 */
function takeSenderKeySeed(state: SenderKeyState, iteration: number): Uint8Array {
  const current = state.chainIteration;
  if (current > iteration) {
    const stored = takeMessageKey(state, iteration);
    if (stored) return stored.seed;
    throw new ProtocolError('DuplicatedMessage', `duplicate sender key message: iteration ${iteration} < ${current}`);
  }
  if (iteration - current > SENDER_KEY_MAX_FORWARD_JUMPS) {
    throw new ProtocolError('InvalidMessage', 'sender key message from too far into the future');
  }
  if (iteration >= MAX_SENDER_KEY_ITERATION) throw new ProtocolError('InvalidState', 'sender chain is too long');
  let ck = state.chainKey;
  for (let i = current; i < iteration; i++) {
    // Only the newest SENDER_KEY_MAX_MESSAGE_KEYS skipped seeds can survive the trim in
    // addMessageKey, so older ones are not even computed: same result, less work on long jumps.
    if (iteration - i <= SENDER_KEY_MAX_MESSAGE_KEYS) addMessageKey(state, { iteration: i, seed: messageSeed(ck) });
    const next = nextChainKey(ck);
    wipe(ck);
    ck = next;
  }
  const seed = messageSeed(ck);
  state.chainKey = nextChainKey(ck);
  state.chainIteration = iteration + 1;
  wipe(ck);
  return seed;
}

function decodeRecord(bytes: Uint8Array): SenderKeyRecordData {
  try {
    return decodeSenderKeyRecord(bytes);
  } catch (e) {
    throw new ProtocolError('InvalidSenderKeySession', 'stored sender key record is unreadable', { cause: e });
  }
}

function noState(): ProtocolError {
  return new ProtocolError('NoSenderKeyState', 'no sender key state for this distribution id');
}

function invalidSession(): ProtocolError {
  return new ProtocolError('InvalidSenderKeySession', 'invalid sender key session');
}
