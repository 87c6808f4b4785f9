/**
 * The worker side of the crypto RPC: owns this device's encrypted stores and the TypeScript
 * engine, runs one request at a time (the engine requires that operations on one address never
 * overlap; serialising everything is the simple way to get that), and answers on `post`.
 * `engine.worker.ts` wires it to the worker's global scope; tests wire it to a fake worker.
 * @module
 */
import {
  Direction,
  equalBytes,
  FINGERPRINT_ITERATIONS,
  IdentityKeyPair,
  isProtocolError,
  PrivateKey,
  type ProtocolEngine,
  ProtocolAddress,
  SCANNABLE_FINGERPRINT_VERSION,
  toBase64,
  tsEngine,
} from '@pairchat/crypto';
import { KeyManager } from '@pairchat/keys';
import { DEVICE_LINK_CODE_SECRET_BYTES, fromBase64, parseDeviceLinkCode } from './device-link-code.js';
import { openIdentity, sealIdentity } from './device-link.js';
import { DeviceStores } from './idb-stores.js';
import {
  type AddressDto,
  type EngineOperations,
  type EngineRequest,
  type EngineResponse,
  type EngineStatus,
  isEngineRequest,
  type SafetyNumberView,
  type SerializedError,
} from './engine-protocol.js';
import { uuidBytes } from './uuid.js';

export interface EngineHostOptions {
  /** Defaults to the global `indexedDB` (workers have it). */
  indexedDB?: IDBFactory;
  /** Defaults to the global `crypto`. */
  crypto?: Crypto;
  /** Defaults to the TypeScript engine (the only one that runs in a browser). */
  engine?: ProtocolEngine;
  /** Clock in ms. */
  now?: () => number;
}

function serializeError(error: unknown): SerializedError {
  if (isProtocolError(error)) return { name: 'ProtocolError', message: error.message, code: error.code };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: 'unknown error in the crypto worker' };
}

const address = ({ name, deviceId }: AddressDto) => new ProtocolAddress(name, deviceId);

/**
 * Runs `task` under a Web Lock named after the database, so the workers of several tabs never run
 * two operations on one device's stores at once (a session record written by one tab must not be
 * overwritten by a stale copy from another). Without Web Locks (tests, old browsers) it runs
 * directly; this worker still serialises its own requests.
 */
function acrossTabs<T>(database: string | undefined, task: () => Promise<T>): Promise<T> {
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  if (!locks || !database) return task();
  return locks.request(`pairchat.crypto.${database}`, task) as Promise<T>;
}

/**
 * Creates the request handler.
 * @param post - sends one response to the page
 * @returns a function to call with every message the page sends
 */
export function createEngineHost(post: (response: EngineResponse) => void, options: EngineHostOptions = {}) {
  const engine = options.engine ?? tsEngine;
  let stores: DeviceStores | null = null;
  let userId: string | null = null;
  let queue: Promise<unknown> = Promise.resolve();
  /** The private half and the secret of this device's open link code; only ever in worker memory. */
  let linkKey: { privateKey: PrivateKey; codeSecret: Uint8Array } | null = null;
  const dropLinkKey = () => {
    linkKey?.privateKey.wipe();
    linkKey?.codeSecret.fill(0);
    linkKey = null;
  };

  const opened = (): DeviceStores => {
    if (!stores) throw new Error('the crypto store is not open');
    return stores;
  };

  const localAddress = async (): Promise<ProtocolAddress> => {
    const device = await opened().localDevice();
    if (!device) throw new Error('this device has no protocol device id yet (upload its keys first)');
    return new ProtocolAddress(device.userId, device.protocolDeviceId);
  };

  const keyManager = (progress?: (done: number, total: number) => void) => {
    const s = opened();
    return new KeyManager({
      engine,
      stores: s.protocol,
      state: s.keyState,
      removal: s.removal,
      markLastResort: (id) => s.markLastResort(id),
      now: options.now,
      onProgress: progress,
    });
  };

  const status = async (): Promise<EngineStatus> => {
    const s = opened();
    const hasIdentity = await s.hasIdentity();
    const pair = hasIdentity ? IdentityKeyPair.deserialize(await s.protocol.identity.getIdentityKeyPair()) : null;
    const device = await s.localDevice();
    return {
      database: s.vaultName,
      hasIdentity,
      identityKey: pair ? toBase64(pair.publicKey.serialize()) : null,
      registrationId: hasIdentity ? await s.protocol.identity.getLocalRegistrationId() : null,
      hasPreKeys: (await s.keyState.load()) !== null,
      protocolDeviceId: device?.protocolDeviceId ?? null,
    };
  };

  const safetyNumber = async (contactId: string): Promise<SafetyNumberView> => {
    const s = opened();
    if (!userId) throw new Error('the crypto store is not open');
    const remoteKey = await s.contactIdentity(contactId);
    if (!remoteKey) throw new Error('no identity key known for this contact yet');
    const ours = IdentityKeyPair.deserialize(await s.protocol.identity.getIdentityKeyPair()).publicKey.serialize();
    const { displayable, scannable } = await engine.fingerprints.safetyNumber(
      FINGERPRINT_ITERATIONS,
      SCANNABLE_FINGERPRINT_VERSION,
      uuidBytes(userId),
      ours,
      uuidBytes(contactId),
      remoteKey,
    );
    return { displayable, scannable, verified: await s.isVerified(contactId) };
  };

  type Handlers = {
    [K in keyof EngineOperations]: (
      progress: (done: number, total: number) => void,
      ...args: Parameters<EngineOperations[K]>
    ) => Promise<ReturnType<EngineOperations[K]>>;
  };

  const handlers: Handlers = {
    open: async (_progress, { database, userId: id }) => {
      if (typeof database !== 'string' || database.length === 0) throw new TypeError('database: expected a name');
      uuidBytes(id, 'userId');
      stores?.close();
      stores = null;
      stores = await DeviceStores.open({
        name: database,
        indexedDB: options.indexedDB,
        crypto: options.crypto,
        now: options.now,
        trustOnReceive: true,
      });
      userId = id;
      const device = await stores.localDevice();
      if (device && device.userId !== id) {
        stores.close();
        stores = null;
        throw new Error('this crypto store belongs to another account');
      }
      return status();
    },
    status: () => status(),
    createIdentity: async () => {
      const { identityKeyPair, registrationId } = await KeyManager.createIdentity(engine);
      await opened().setLocalIdentity(identityKeyPair, registrationId);
      identityKeyPair.fill(0);
      return status();
    },
    initialUpload: (progress) => keyManager(progress).initialUpload(),
    replenishUpload: (progress, counts) => keyManager(progress).replenishUpload(counts),
    rotationUpload: (progress, force) => keyManager(progress).rotationUpload(force),
    purgeReplaced: () => keyManager().purgeReplaced(),
    setProtocolDeviceId: async (_progress, protocolDeviceId) => {
      if (!userId) throw new Error('the crypto store is not open');
      new ProtocolAddress(userId, protocolDeviceId); // validates the range
      await opened().setLocalDevice({ userId, protocolDeviceId });
      return status();
    },
    processPreKeyBundle: async (_progress, bundle, to) =>
      engine.processPreKeyBundle(
        bundle,
        address(to),
        await localAddress(),
        opened().protocol,
        new Date(options.now?.() ?? Date.now()),
      ),
    hasSession: (_progress, to) =>
      engine.hasCurrentSession(address(to), opened().protocol, new Date(options.now?.() ?? Date.now())),
    encrypt: async (_progress, plaintext, to) =>
      engine.encrypt(
        plaintext,
        address(to),
        await localAddress(),
        opened().protocol,
        new Date(options.now?.() ?? Date.now()),
      ),
    decrypt: async (_progress, message, from) =>
      engine.decrypt(message, address(from), await localAddress(), opened().protocol),
    decryptMessage: async (_progress, message, from) => {
      const s = opened();
      const sender = address(from);
      // The account's key, not the address's: a first message from a new device of a known
      // contact that brings another key is an identity change too.
      const before = await s.accountIdentity(sender.name);
      const plaintext = await engine.decrypt(message, sender, await localAddress(), s.protocol);
      const after = await s.protocol.identity.getIdentity(sender);
      return { plaintext, identityChanged: before !== null && after !== null && !equalBytes(before, after) };
    },
    deleteSession: (_progress, to) => opened().deleteSession(address(to)),
    trustsIdentity: (_progress, to, identityKey) =>
      opened().protocol.identity.isTrustedIdentity(address(to), identityKey, Direction.Sending),
    safetyNumber: (_progress, contactId) => safetyNumber(contactId),
    compareScanned: async (_progress, contactId, scanned) =>
      engine.fingerprints.compareScannable((await safetyNumber(contactId)).scannable, scanned),
    setVerified: async (_progress, contactId, verified) => {
      await opened().setVerified(contactId, verified);
      return safetyNumber(contactId);
    },
    identityChanges: () => opened().identityChanges(),
    acceptIdentityChanges: (_progress, contactId) => opened().acceptIdentityChanges(contactId),
    dismissIdentityChange: (_progress, changed) => opened().dismissIdentityChange(changed),
    createLinkKey: async () => {
      dropLinkKey();
      const privateKey = await PrivateKey.generateAsync();
      const codeSecret = (options.crypto ?? globalThis.crypto).getRandomValues(
        new Uint8Array(DEVICE_LINK_CODE_SECRET_BYTES),
      );
      linkKey = { privateKey, codeSecret };
      // A copy: the page shows it in the code; the worker's own is zeroed when the link ends.
      return { ephemeralPublicKey: privateKey.getPublicKey().getPublicKeyBytes(), codeSecret: codeSecret.slice() };
    },
    importLinkedIdentity: async (progress, { linkId, sealed }) => {
      const s = opened();
      const account = userId;
      if (!account) throw new Error('the crypto store is not open');
      if (!linkKey) throw new Error('no link code is open in this tab; show a new code');
      const { identityKeyPair, confirmation } = await openIdentity({
        linkId,
        ephemeralPrivateKey: linkKey.privateKey,
        codeSecret: linkKey.codeSecret,
        sealed: {
          ephemeralPublicKey: fromBase64(sealed.ephemeralPublicKey, 'ephemeralPublicKey'),
          ciphertext: fromBase64(sealed.ciphertext, 'ciphertext'),
          iv: fromBase64(sealed.iv, 'iv'),
        },
        accountId: account,
      });
      try {
        const registrationId = (await s.hasIdentity())
          ? await s.protocol.identity.getLocalRegistrationId()
          : (await KeyManager.createIdentity(engine)).registrationId;
        // The local identity made before linking (and prekeys signed with it) are replaced whole.
        stores = null;
        await s.wipe();
        await handlers.open(progress, { database: s.vaultName, userId: account });
        await opened().setLocalIdentity(identityKeyPair, registrationId);
      } finally {
        identityKeyPair.fill(0);
      }
      dropLinkKey();
      return { status: await status(), confirmation };
    },
    sealIdentityForLink: async (_progress, text) => {
      if (!userId) throw new Error('the crypto store is not open');
      const code = parseDeviceLinkCode(text);
      const identityKeyPair = await opened().protocol.identity.getIdentityKeyPair();
      try {
        const sealed = await sealIdentity({ code, identityKeyPair, accountId: userId });
        const body = {
          linkToken: code.linkToken,
          ephemeralPublicKey: toBase64(sealed.ephemeralPublicKey),
          ciphertext: toBase64(sealed.ciphertext),
          iv: toBase64(sealed.iv),
        };
        return { linkId: code.linkId, body, confirmation: sealed.confirmation };
      } finally {
        identityKeyPair.fill(0);
      }
    },
    wipe: async () => {
      const s = opened();
      stores = null;
      userId = null;
      await s.wipe();
    },
  };

  const run = async (request: EngineRequest): Promise<void> => {
    const progress = (done: number, total: number) => post({ id: request.id, type: 'progress', done, total });
    try {
      const handler = handlers[request.op] as (p: typeof progress, ...args: unknown[]) => Promise<unknown>;
      const database = request.op === 'open' ? request.args[0]?.database : stores?.vaultName;
      const value = await acrossTabs(database, () => handler(progress, ...request.args));
      post({ id: request.id, type: 'result', value: value ?? null });
    } catch (error) {
      post({ id: request.id, type: 'error', error: serializeError(error) });
    }
  };

  return (message: unknown): void => {
    if (!isEngineRequest(message)) {
      const id = (message as { id?: unknown } | null)?.id;
      if (Number.isSafeInteger(id)) {
        post({ id: id as number, type: 'error', error: { name: 'TypeError', message: 'malformed request' } });
      }
      return;
    }
    queue = queue.then(() => run(message));
  };
}
