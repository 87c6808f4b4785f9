/**
 * The TypeScript session cipher: PQXDH session setup on both sides, and the "triple ratchet"
 * (Double Ratchet + chain-only SPQR) encrypt/decrypt (wire notes §2-§5; libsignal
 * `session.rs`, `session_cipher.rs`, `triple_ratchet.rs`, `session_management.rs`).
 *
 * Commit semantics: every operation works on a deep copy of the stored record and writes to the
 * stores only after the message authenticated and decrypted, so a failed operation changes nothing.
 * @module
 */
import { concat, defaultRng, equalBytes, toBase64, wipe, type Rng } from '../bytes.js';
import { KeyCache } from '../key-cache.js';
import { encodeMessageAddresses, type ProtocolAddress } from '../address.js';
import {
  CiphertextMessageType,
  CIPHERTEXT_MESSAGE_CURRENT_VERSION,
  MAX_FORWARD_JUMPS,
  MAX_MESSAGE_KEYS,
  MAX_RECEIVER_CHAINS,
  MAX_UNACKNOWLEDGED_SESSION_AGE_MS,
  SPQR_MAX_JUMP,
} from '../constants.js';
import { IdentityKeyPair, PrivateKey, PublicKey } from '../curve.js';
import type { CiphertextMessage, PreKeyBundle } from '../engine.js';
import { ProtocolError } from '../errors.js';
import { KEMPublicKey } from '../kyber.js';
import {
  parseKyberPreKeyRecord,
  parsePreKeyRecord,
  parseSignedPreKeyRecord,
  type SignedPreKeyRecord,
} from '../prekeys.js';
import { pqxdhInitiate, pqxdhRespond } from '../pqxdh.js';
import {
  decodePreKeySignalMessage,
  decodeSignalMessage,
  encodePreKeySignalMessage,
  encodeSignalMessageBody,
  type ParsedSignalMessage,
} from '../proto/messages.js';
import { deriveMessageKeys, kdfRootKey, messageKeySeed, nextChainKey, wipeMessageKeys } from '../ratchet/keys.js';
import { aesCbcDecrypt, aesCbcEncrypt, computeMac, verifyMac } from '../ratchet/message-cipher.js';
import { spqrInitialState, spqrRecv, spqrSend } from '../spqr/chain.js';
import { Direction, type ProtocolStores } from '../stores.js';
import { keepRatchetKey, takeRatchetKey } from './ratchet-key-cache.js';
import {
  decodeSessionRecord,
  encodeSessionRecord,
  promoteState,
  wipeRecord,
  wipeState,
  type ReceiverChain,
  type SessionRecordData,
  type SessionState,
} from './state.js';

/** Options shared by the cipher functions. */
export interface CipherOptions {
  /** randomness for ratchet keys, base keys and KEM encapsulation */
  rng?: Rng;
}

async function loadRecord(stores: ProtocolStores, address: ProtocolAddress): Promise<SessionRecordData | null> {
  const bytes = await stores.session.loadSession(address);
  return bytes ? decodeSessionRecord(bytes) : null;
}

/**
 * Our identity key pairs as parsed, in use, objects by public key, so the private key's WebCrypto
 * import is reused by every session setup. At most a few per process (one per local identity); an
 * entry counts only if its private key equals the store's. Never wiped: callers may hold them.
 */
const OUR_IDENTITIES = new KeyCache<IdentityKeyPair>(4);

/**
 * Our signed prekeys' private keys by public key, for the same reason: every session a peer starts
 * with us uses the current signed prekey. Callers get clones (they wipe theirs); an entry counts only
 * if its private key equals the record's. Two entries, the current signed prekey and the previous
 * one in its grace period: a rotated-out key must not linger in memory (forward secrecy of sessions
 * started without a one-time prekey), and it is wiped when the next rotation evicts it.
 */
const OUR_SIGNED_PREKEYS = new KeyCache<PrivateKey>(2, (key) => key.wipe());

function ourSignedPreKey(record: SignedPreKeyRecord): PrivateKey {
  const id = toBase64(record.publicKey.serialize());
  const cached = OUR_SIGNED_PREKEYS.get(id);
  const stored = record.privateKey.serialize();
  const kept = cached?.serialize();
  const same = !!kept && equalBytes(kept, stored);
  wipe(stored, kept);
  if (same) {
    record.privateKey.wipe();
    return cached!.clone();
  }
  OUR_SIGNED_PREKEYS.set(id, record.privateKey.clone());
  return record.privateKey;
}

async function ourIdentity(stores: ProtocolStores): Promise<IdentityKeyPair> {
  const parsed = IdentityKeyPair.deserialize(await stores.identity.getIdentityKeyPair());
  const id = toBase64(parsed.publicKey.serialize());
  const cached = OUR_IDENTITIES.get(id);
  const stored = parsed.privateKey.serialize();
  const kept = cached?.privateKey.serialize();
  const same = !!kept && equalBytes(kept, stored);
  wipe(stored, kept);
  if (same) {
    parsed.privateKey.wipe();
    return cached!;
  }
  OUR_IDENTITIES.set(id, parsed);
  return parsed;
}

/**
 * A ratchet or base key started before it is needed when the engine uses the platform RNG, so the
 * platform's key generation (a worker thread in Chromium, partly Node's thread pool) overlaps the
 * work in between. With an injected RNG nothing starts early: keys are drawn when taken, in the
 * order of sequential code.
 */
class EarlyKey {
  private taken = false;

  private constructor(
    private readonly rng: Rng,
    private readonly early: Promise<PrivateKey> | undefined,
  ) {
    early?.catch(() => undefined); // a failure surfaces in take(); never an unhandled rejection
  }

  static start(rng: Rng): EarlyKey {
    return new EarlyKey(rng, rng === defaultRng ? PrivateKey.generateAsync(rng) : undefined);
  }

  /** True if the key was started early (platform RNG) and not taken yet. */
  get started(): boolean {
    return !!this.early && !this.taken;
  }

  /** The key, started early or generated now; the caller owns it. */
  take(): Promise<PrivateKey> {
    this.taken = true;
    return this.early ?? PrivateKey.generateAsync(this.rng);
  }

  /** Wipes the early key if it was never taken. */
  discard(): void {
    if (this.early && !this.taken)
      this.early.then(
        (k) => k.wipe(),
        () => undefined,
      );
    this.taken = true;
  }
}

/**
 * The first DH ratchet step of a session we respond to, started before PQXDH: its two agreements
 * need only our first ratchet key (the signed prekey), the ratchet key in the message and the new
 * key, so they run while PQXDH's base-key check and KEM hold the main thread. {@link receiverChainFor}
 * takes it for that pair of keys and awaits it where it would have started the agreements, so errors
 * surface as before; otherwise it is wiped. The new key is taken early only with the platform RNG
 * (an injected one is drawn in sequential order).
 */
class StepPrefetch {
  private taken = false;

  private constructor(
    private readonly ourRatchetKey: Uint8Array,
    private readonly theirRatchetKey: Uint8Array,
    readonly theirs: PublicKey,
    readonly oldSecret: Promise<Uint8Array>,
    readonly fresh: { key: Promise<PrivateKey>; secret: Promise<Uint8Array> } | undefined,
  ) {
    // failures surface where the step awaits them; never an unhandled rejection
    oldSecret.catch(() => undefined);
    fresh?.key.catch(() => undefined);
    fresh?.secret.catch(() => undefined);
  }

  /** Starts the step, or returns undefined for a ratchet key that does not parse (the step reports it). */
  static start(
    ourOld: PrivateKey,
    ourRatchetKey: Uint8Array,
    theirRatchetKey: Uint8Array,
    early: EarlyKey | undefined,
  ): StepPrefetch | undefined {
    let theirs: PublicKey;
    try {
      theirs = PublicKey.deserialize(theirRatchetKey);
    } catch {
      return undefined;
    }
    let fresh: { key: Promise<PrivateKey>; secret: Promise<Uint8Array> } | undefined;
    if (early?.started) {
      const key = early.take();
      fresh = { key, secret: key.then((k) => k.agree(theirs)) };
    }
    return new StepPrefetch(
      Uint8Array.from(ourRatchetKey),
      Uint8Array.from(theirRatchetKey),
      theirs,
      ourOld.agree(theirs),
      fresh,
    );
  }

  /** This step, if it was started for these keys and not taken yet; the caller then owns its outputs. */
  take(ourRatchetKey: Uint8Array, theirRatchetKey: Uint8Array): StepPrefetch | undefined {
    if (
      this.taken ||
      !equalBytes(this.ourRatchetKey, ourRatchetKey) ||
      !equalBytes(this.theirRatchetKey, theirRatchetKey)
    )
      return undefined;
    this.taken = true;
    return this;
  }

  /** Wipes the outputs if the step was never taken. */
  discard(): void {
    if (this.taken) return;
    this.taken = true;
    this.oldSecret.then(wipe, () => undefined);
    this.fresh?.secret.then(wipe, () => undefined);
    this.fresh?.key.then(
      (k) => k.wipe(),
      () => undefined,
    );
  }
}

function isSelfSession(address: ProtocolAddress, localAddress: ProtocolAddress, ours: Uint8Array, theirs: Uint8Array) {
  return address.name === localAddress.name && equalBytes(ours, theirs);
}

async function requireTrusted(
  stores: ProtocolStores,
  address: ProtocolAddress,
  identity: Uint8Array,
  direction: Direction,
): Promise<void> {
  if (!(await stores.identity.isTrustedIdentity(address, identity, direction)))
    throw new ProtocolError('UntrustedIdentity', 'untrusted identity', { address: address.toString() });
}

/**
 * Initiator side of PQXDH: verifies the bundle, derives the session and stores it as current.
 * @throws ProtocolError `SignatureValidationFailed`, `UntrustedIdentity`, key parse errors
 */
export async function processPreKeyBundle(
  bundle: PreKeyBundle,
  address: ProtocolAddress,
  localAddress: ProtocolAddress,
  stores: ProtocolStores,
  now: Date = new Date(),
  opts: CipherOptions = {},
): Promise<void> {
  const rng = opts.rng ?? defaultRng;
  const theirIdentity = PublicKey.deserialize(bundle.identityKey);
  const theirSpk = PublicKey.deserialize(bundle.signedPreKey);
  const theirKyber = KEMPublicKey.deserialize(bundle.kyberPreKey);
  const theirOpk = bundle.preKey ? PublicKey.deserialize(bundle.preKey) : undefined;
  const earlyBase = EarlyKey.start(rng);
  const earlySending = EarlyKey.start(rng);
  try {
    await initiateSession(bundle, address, localAddress, stores, now, rng, {
      theirIdentity,
      theirSpk,
      theirKyber,
      theirOpk,
      earlyBase,
      earlySending,
    });
  } finally {
    earlyBase.discard();
    earlySending.discard();
  }
}

/** The body of {@link processPreKeyBundle}, with its parsed keys and the keys started early. */
async function initiateSession(
  bundle: PreKeyBundle,
  address: ProtocolAddress,
  localAddress: ProtocolAddress,
  stores: ProtocolStores,
  now: Date,
  rng: Rng,
  k: {
    theirIdentity: PublicKey;
    theirSpk: PublicKey;
    theirKyber: KEMPublicKey;
    theirOpk: PublicKey | undefined;
    earlyBase: EarlyKey;
    earlySending: EarlyKey;
  },
): Promise<void> {
  const { theirIdentity, theirSpk, theirKyber, theirOpk } = k;
  const [spkSignatureOk, kyberSignatureOk] = await Promise.all([
    theirIdentity.verifyAsync(bundle.signedPreKey, bundle.signedPreKeySignature),
    theirIdentity.verifyAsync(bundle.kyberPreKey, bundle.kyberPreKeySignature),
  ]);
  if (!spkSignatureOk || !kyberSignatureOk)
    throw new ProtocolError('SignatureValidationFailed', 'signature validation failed');
  if ((bundle.preKey === null) !== (bundle.preKeyId === null))
    throw new ProtocolError('InvalidArgument', 'one-time prekey id and key must be given together');
  await requireTrusted(stores, address, bundle.identityKey, Direction.Sending);

  const ours = await ourIdentity(stores);
  const baseKey = await k.earlyBase.take();
  // pqxdhInitiate draws its KEM randomness before its first await, so an injected rng is consumed
  // in the same order as in sequential code (base key, encapsulation, ratchet key); meanwhile the
  // agreements and the ratchet key generation overlap.
  const pqxdh = pqxdhInitiate({
    ourIdentity: ours.privateKey,
    ourBaseKey: baseKey,
    theirIdentity,
    theirSignedPreKey: theirSpk,
    theirOneTimePreKey: theirOpk,
    theirKyberPreKey: theirKyber,
    rng,
  });
  pqxdh.catch(() => undefined); // awaited below; only keeps an early rejection from counting as unhandled
  const sending = await k.earlySending.take();
  // the first sending chain's agreement needs no PQXDH output: it runs alongside the PQXDH ones
  const sendingSecret = sending.agree(theirSpk);
  sendingSecret.catch(() => undefined); // awaited below, after pqxdh, whose error comes first
  let secrets: Awaited<typeof pqxdh>;
  try {
    secrets = await pqxdh;
  } catch (e) {
    sendingSecret.then(wipe, () => undefined);
    throw e;
  }
  const step = kdfRootKey(secrets.rootKey, await sendingSecret);
  const localIdentity = ours.publicKey.serialize();
  const self = isSelfSession(address, localAddress, localIdentity, bundle.identityKey);
  const state: SessionState = {
    version: CIPHERTEXT_MESSAGE_CURRENT_VERSION,
    localIdentity,
    remoteIdentity: Uint8Array.from(bundle.identityKey),
    rootKey: step.rootKey,
    previousCounter: 0,
    sender: {
      ratchetPrivate: sending.serialize(),
      ratchetPublic: sending.getPublicKey().serialize(),
      chainKey: step.chainKey,
      index: 0,
    },
    receivers: [{ ratchetKey: theirSpk.serialize(), chainKey: secrets.chainKey, index: 0, skipped: [] }],
    pending: {
      ...(bundle.preKeyId !== null ? { preKeyId: bundle.preKeyId } : {}),
      signedPreKeyId: bundle.signedPreKeyId,
      kyberPreKeyId: bundle.kyberPreKeyId,
      kyberCiphertext: secrets.kyberCiphertext,
      baseKey: baseKey.getPublicKey().serialize(),
      createdAt: now.getTime(),
    },
    localRegistrationId: await stores.identity.getLocalRegistrationId(),
    remoteRegistrationId: bundle.registrationId,
    aliceBaseKey: baseKey.getPublicKey().serialize(),
    spqr: spqrInitialState(secrets.pqrAuthKey, 'A2B', self ? Number.MAX_SAFE_INTEGER : SPQR_MAX_JUMP),
    selfSession: self,
  };
  wipe(secrets.rootKey, secrets.pqrAuthKey);
  baseKey.wipe();
  const record = (await loadRecord(stores, address)) ?? { current: null, previous: [] };
  promoteState(record, state);
  try {
    await stores.identity.saveIdentity(address, bundle.identityKey);
    await stores.session.storeSession(address, encodeSessionRecord(record));
  } catch (e) {
    sending.wipe();
    throw e;
  } finally {
    wipeRecord(record);
  }
  keepRatchetKey(sending.getPublicKey().serialize(), sending);
}

function unacknowledgedExpired(state: SessionState, now: Date): boolean {
  return !!state.pending && now.getTime() - state.pending.createdAt > MAX_UNACKNOWLEDGED_SESSION_AGE_MS;
}

/**
 * Encrypts on the current session.
 * @throws ProtocolError `SessionNotFound`, `UntrustedIdentity`
 */
export async function encryptMessage(
  plaintext: Uint8Array,
  address: ProtocolAddress,
  localAddress: ProtocolAddress,
  stores: ProtocolStores,
  now: Date = new Date(),
): Promise<CiphertextMessage> {
  const record = await loadRecord(stores, address);
  const state = record?.current;
  if (!record || !state || unacknowledgedExpired(state, now))
    throw new ProtocolError('SessionNotFound', 'session not found', { address: address.toString() });
  const seed = messageKeySeed(state.sender.chainKey);
  const pq = spqrSend(state.spqr);
  const keys = deriveMessageKeys(seed, pq.key);
  wipe(seed, pq.key);
  const ciphertext = aesCbcEncrypt(keys.cipherKey, keys.iv, plaintext);
  const addresses = state.pending ? encodeMessageAddresses(localAddress, address) : null;
  const body = encodeSignalMessageBody({
    ratchetKey: state.sender.ratchetPublic,
    counter: state.sender.index,
    previousCounter: state.previousCounter,
    ciphertext,
    pqRatchet: pq.msg,
    ...(addresses ? { addresses } : {}),
  });
  const signalMessage = concat(body, computeMac(keys.macKey, state.localIdentity, state.remoteIdentity, body));
  wipeMessageKeys(keys);
  let out: CiphertextMessage;
  if (state.pending) {
    const p = state.pending;
    out = {
      type: CiphertextMessageType.PreKey,
      body: encodePreKeySignalMessage({
        registrationId: state.localRegistrationId,
        ...(p.preKeyId !== undefined ? { preKeyId: p.preKeyId } : {}),
        signedPreKeyId: p.signedPreKeyId,
        kyberPreKeyId: p.kyberPreKeyId,
        kyberCiphertext: p.kyberCiphertext,
        baseKey: p.baseKey,
        identityKey: state.localIdentity,
        message: signalMessage,
      }),
    };
  } else {
    out = { type: CiphertextMessageType.Whisper, body: signalMessage };
  }
  await requireTrusted(stores, address, state.remoteIdentity, Direction.Sending);
  const oldChainKey = state.sender.chainKey;
  state.sender.chainKey = nextChainKey(oldChainKey);
  state.sender.index += 1;
  wipe(oldChainKey);
  await stores.identity.saveIdentity(address, state.remoteIdentity);
  await stores.session.storeSession(address, encodeSessionRecord(record));
  wipeRecord(record);
  return out;
}

/**
 * Ratchet keys generated by a DH step on a state copy; they go to the ratchet-key cache only if that
 * copy is committed ({@link settleRatchetKey}).
 */
const stepKeys = new WeakMap<SessionState, PrivateKey>();

/** Hands the key generated on `state` to the ratchet-key cache (committed) or wipes it. */
function settleRatchetKey(state: SessionState, committed: boolean): void {
  const key = stepKeys.get(state);
  if (!key) return;
  stepKeys.delete(state);
  if (committed) keepRatchetKey(state.sender.ratchetPublic, key);
  else key.wipe();
}

async function receiverChainFor(
  state: SessionState,
  theirRatchetKey: Uint8Array,
  rng: Rng,
  early?: EarlyKey,
  prefetch?: StepPrefetch,
): Promise<ReceiverChain> {
  const found = state.receivers.find((r) => equalBytes(r.ratchetKey, theirRatchetKey));
  if (found) return found;
  const pre = prefetch?.take(state.sender.ratchetPublic, theirRatchetKey);
  const theirs = pre ? pre.theirs : PublicKey.deserialize(theirRatchetKey);
  const ourOld = takeRatchetKey(state.sender.ratchetPrivate, state.sender.ratchetPublic);
  // both agreements use `theirs` (imported once); the new key is generated meanwhile, and its
  // agreement starts as soon as it exists (awaited in the sequential order, so errors keep theirs)
  const freshKey = pre?.fresh ? pre.fresh.key : early?.started ? early.take() : PrivateKey.generateAsync(rng);
  const freshSecret = pre?.fresh ? pre.fresh.secret : freshKey.then((k) => k.agree(theirs));
  freshSecret.catch(() => undefined);
  let oldSecret: Uint8Array;
  let fresh: PrivateKey;
  try {
    [oldSecret, fresh] = await Promise.all([pre ? pre.oldSecret : ourOld.agree(theirs), freshKey]);
  } catch (e) {
    freshSecret.then(wipe, () => undefined);
    throw e;
  }
  const recv = kdfRootKey(state.rootKey, oldSecret);
  const send = kdfRootKey(recv.rootKey, await freshSecret);
  wipe(oldSecret);
  const chain: ReceiverChain = {
    ratchetKey: Uint8Array.from(theirRatchetKey),
    chainKey: recv.chainKey,
    index: 0,
    skipped: [],
  };
  state.receivers.push(chain);
  while (state.receivers.length > MAX_RECEIVER_CHAINS) {
    const old = state.receivers.shift()!;
    wipe(old.chainKey, ...old.skipped.map((s) => s.seed));
  }
  state.previousCounter = Math.max(state.sender.index - 1, 0);
  wipe(state.rootKey, recv.rootKey, state.sender.ratchetPrivate, state.sender.chainKey);
  ourOld.wipe();
  state.rootKey = send.rootKey;
  state.sender = {
    ratchetPrivate: fresh.serialize(),
    ratchetPublic: fresh.getPublicKey().serialize(),
    chainKey: send.chainKey,
    index: 0,
  };
  stepKeys.set(state, fresh);
  return chain;
}

function takeMessageSeed(state: SessionState, chain: ReceiverChain, counter: number): Uint8Array {
  if (counter < chain.index) {
    const i = chain.skipped.findIndex((s) => s.index === counter);
    if (i < 0) throw new ProtocolError('DuplicatedMessage', 'duplicate message');
    return chain.skipped.splice(i, 1)[0].seed;
  }
  if (counter - chain.index > MAX_FORWARD_JUMPS && !state.selfSession)
    throw new ProtocolError('InvalidMessage', 'message from too far into the future');
  while (chain.index < counter) {
    chain.skipped.unshift({ index: chain.index, seed: messageKeySeed(chain.chainKey) });
    if (chain.skipped.length > MAX_MESSAGE_KEYS) wipe(chain.skipped.pop()!.seed);
    const old = chain.chainKey;
    chain.chainKey = nextChainKey(old);
    wipe(old);
    chain.index += 1;
  }
  const seed = messageKeySeed(chain.chainKey);
  const old = chain.chainKey;
  chain.chainKey = nextChainKey(old);
  wipe(old);
  chain.index += 1;
  return seed;
}

/** Decrypts `msg` on `state` (mutated; pass a copy). */
async function decryptWithState(
  state: SessionState,
  msg: ParsedSignalMessage,
  address: ProtocolAddress,
  localAddress: ProtocolAddress,
  rng: Rng,
  early?: EarlyKey,
  prefetch?: StepPrefetch,
): Promise<Uint8Array> {
  if (msg.version !== state.version)
    throw new ProtocolError('InvalidMessage', 'message version does not match session');
  const chain = await receiverChainFor(state, msg.ratchetKey, rng, early, prefetch);
  const seed = takeMessageSeed(state, chain, msg.counter);
  const pqKey = spqrRecv(state.spqr, msg.pqRatchet);
  const keys = deriveMessageKeys(seed, pqKey);
  wipe(seed, pqKey);
  try {
    if (!verifyMac(keys.macKey, state.remoteIdentity, state.localIdentity, msg.macInput, msg.mac))
      throw new ProtocolError('InvalidMessage', 'MAC verification failed');
    if (msg.addresses) {
      const expected = encodeMessageAddresses(address, localAddress);
      if (!expected || !equalBytes(expected, msg.addresses))
        throw new ProtocolError('InvalidMessage', 'message addresses do not match');
    }
    const pt = aesCbcDecrypt(keys.cipherKey, keys.iv, msg.ciphertext);
    delete state.pending;
    return pt;
  } finally {
    wipeMessageKeys(keys);
  }
}

/**
 * Decrypts a Whisper (SignalMessage) with Sesame session selection: the current state, then each
 * archived state in order; a previous state that succeeds becomes current.
 * @throws ProtocolError `SessionNotFound`, `DuplicatedMessage`, `InvalidMessage`, `UntrustedIdentity`
 */
export async function decryptSignalMessage(
  bytes: Uint8Array,
  address: ProtocolAddress,
  localAddress: ProtocolAddress,
  stores: ProtocolStores,
  opts: CipherOptions = {},
): Promise<Uint8Array> {
  const rng = opts.rng ?? defaultRng;
  const msg = decodeSignalMessage(bytes);
  const record = await loadRecord(stores, address);
  if (!record || (!record.current && record.previous.length === 0))
    throw new ProtocolError('SessionNotFound', 'session not found', { address: address.toString() });
  const candidates: (SessionState | null)[] = [record.current, ...record.previous];
  for (let i = 0; i < candidates.length; i++) {
    const original = candidates[i];
    if (!original) continue;
    const copy = structuredClone(original);
    let pt: Uint8Array;
    try {
      pt = await decryptWithState(copy, msg, address, localAddress, rng);
    } catch (e) {
      settleRatchetKey(copy, false);
      wipeState(copy);
      if (e instanceof ProtocolError && e.code === 'DuplicatedMessage') throw e;
      if (e instanceof ProtocolError) continue;
      throw e;
    }
    try {
      await requireTrusted(stores, address, copy.remoteIdentity, Direction.Receiving);
    } catch (e) {
      settleRatchetKey(copy, false);
      throw e;
    }
    if (i === 0) record.current = copy;
    else {
      record.previous.splice(i - 1, 1);
      promoteState(record, copy);
    }
    let committed = false;
    try {
      await stores.identity.saveIdentity(address, copy.remoteIdentity);
      await stores.session.storeSession(address, encodeSessionRecord(record));
      committed = true;
    } finally {
      settleRatchetKey(copy, committed);
      wipeRecord(record);
    }
    return pt;
  }
  wipeRecord(record);
  throw new ProtocolError('InvalidMessage', 'decryption failed');
}

/**
 * Responder side: processes a PreKeySignalMessage (PQXDH, or reuse of the session with the same
 * base key) and decrypts its inner message. Only on success: saves the identity, marks the Kyber
 * prekey used, removes the one-time prekey and stores the session.
 * @throws ProtocolError `UntrustedIdentity`, `InvalidPreKeyId`, `InvalidSignedPreKeyId`,
 *   `InvalidKyberPreKeyId`, `DuplicatedMessage`, `InvalidMessage`, parse errors
 */
export async function decryptPreKeyMessage(
  bytes: Uint8Array,
  address: ProtocolAddress,
  localAddress: ProtocolAddress,
  stores: ProtocolStores,
  opts: CipherOptions = {},
): Promise<Uint8Array> {
  const rng = opts.rng ?? defaultRng;
  const pk = decodePreKeySignalMessage(bytes);
  const theirIdentity = PublicKey.deserialize(pk.identityKey);
  const theirBase = PublicKey.deserialize(pk.baseKey);
  const inner = decodeSignalMessage(pk.message);
  await requireTrusted(stores, address, pk.identityKey, Direction.Receiving);

  let early: EarlyKey | undefined;
  let prefetch: StepPrefetch | undefined;
  try {
    const record = (await loadRecord(stores, address)) ?? { current: null, previous: [] };
    const matches = (s: SessionState | null) =>
      !!s && s.version === pk.version && equalBytes(s.aliceBaseKey, pk.baseKey);
    let fresh = false;
    if (matches(record.current)) {
      // already current
    } else {
      const i = record.previous.findIndex(matches);
      if (i >= 0) {
        const [s] = record.previous.splice(i, 1);
        promoteState(record, s);
      } else {
        fresh = true;
        early = EarlyKey.start(rng); // the first ratchet step's key, generated during PQXDH
        const spkBytes = await stores.signedPreKey.loadSignedPreKey(pk.signedPreKeyId);
        if (!spkBytes) throw new ProtocolError('InvalidSignedPreKeyId', 'invalid signed prekey id');
        const kyberBytes = await stores.kyberPreKey.loadKyberPreKey(pk.kyberPreKeyId);
        if (!kyberBytes) throw new ProtocolError('InvalidKyberPreKeyId', 'invalid Kyber prekey id');
        let opk: PrivateKey | undefined;
        if (pk.preKeyId !== undefined) {
          const opkBytes = await stores.preKey.loadPreKey(pk.preKeyId);
          if (!opkBytes) throw new ProtocolError('InvalidPreKeyId', 'invalid prekey id');
          opk = parsePreKeyRecord(opkBytes).privateKey;
        }
        const spk = parseSignedPreKeyRecord(spkBytes);
        spk.privateKey = ourSignedPreKey(spk);
        const kyber = parseKyberPreKeyRecord(kyberBytes);
        const ours = await ourIdentity(stores);
        prefetch = StepPrefetch.start(spk.privateKey, spk.publicKey.serialize(), inner.ratchetKey, early);
        const secrets = await pqxdhRespond({
          ourIdentity: ours.privateKey,
          ourSignedPreKey: spk.privateKey,
          ourOneTimePreKey: opk,
          ourKyberPreKey: kyber.keyPair.secretKey,
          theirIdentity,
          theirBaseKey: theirBase,
          kyberCiphertext: pk.kyberCiphertext,
        });
        const localIdentity = ours.publicKey.serialize();
        const self = isSelfSession(address, localAddress, localIdentity, pk.identityKey);
        promoteState(record, {
          version: CIPHERTEXT_MESSAGE_CURRENT_VERSION,
          localIdentity,
          remoteIdentity: Uint8Array.from(pk.identityKey),
          rootKey: secrets.rootKey,
          previousCounter: 0,
          sender: {
            ratchetPrivate: spk.privateKey.serialize(),
            ratchetPublic: spk.publicKey.serialize(),
            chainKey: secrets.chainKey,
            index: 0,
          },
          receivers: [],
          localRegistrationId: await stores.identity.getLocalRegistrationId(),
          remoteRegistrationId: pk.registrationId,
          aliceBaseKey: Uint8Array.from(pk.baseKey),
          spqr: spqrInitialState(secrets.pqrAuthKey, 'B2A', self ? Number.MAX_SAFE_INTEGER : SPQR_MAX_JUMP),
          selfSession: self,
        });
        wipe(secrets.pqrAuthKey);
        // our first ratchet key is the signed prekey: the step below takes it with its imported CryptoKey
        keepRatchetKey(spk.publicKey.serialize(), spk.privateKey);
        opk?.wipe();
        kyber.keyPair.secretKey.wipe();
      }
    }
    let pt: Uint8Array;
    try {
      pt = await decryptWithState(record.current!, inner, address, localAddress, rng, early, prefetch);
    } catch (e) {
      settleRatchetKey(record.current!, false);
      wipeRecord(record);
      throw e;
    }
    const state = record.current!;
    let committed = false;
    try {
      if (fresh) {
        // first, so that a store refusing a replayed (kyber id, signed id, base key) leaves the rest untouched
        await stores.kyberPreKey.markKyberPreKeyUsed(pk.kyberPreKeyId, pk.signedPreKeyId, pk.baseKey);
        if (pk.preKeyId !== undefined) await stores.preKey.removePreKey(pk.preKeyId);
      }
      await stores.identity.saveIdentity(address, pk.identityKey);
      await stores.session.storeSession(address, encodeSessionRecord(record));
      committed = true;
    } finally {
      settleRatchetKey(state, committed);
      wipeRecord(record);
    }
    return pt;
  } finally {
    prefetch?.discard();
    early?.discard();
  }
}

/** True if `address` has a current session that can encrypt at `now`. */
export async function hasCurrentSession(
  address: ProtocolAddress,
  stores: ProtocolStores,
  now: Date = new Date(),
): Promise<boolean> {
  const record = await loadRecord(stores, address);
  const ok = !!record?.current && !unacknowledgedExpired(record.current, now);
  if (record) wipeRecord(record);
  return ok;
}
