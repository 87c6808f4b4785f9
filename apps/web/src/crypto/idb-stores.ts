/**
 * The protocol stores of this browser device, in IndexedDB, encrypted at rest (see `vault.ts`):
 * the five stores of `@pairchat/crypto`, a sender-key store, and what the key manager of
 * `@pairchat/keys` persists. Runs in the crypto worker and in tests (fake-indexeddb).
 * @module
 */
import {
  Direction,
  equalBytes,
  fromBase64,
  IdentityChange,
  IdentityKeyPair,
  type IdentityKeyStore,
  type KyberPreKeyStore,
  type PreKeyStore,
  ProtocolAddress,
  ProtocolError,
  type ProtocolStores,
  type SenderKeyStore,
  type SessionStore,
  type SignedPreKeyStore,
  toBase64,
  toHex,
} from '@pairchat/crypto';
import type { KeyManagerState, KeyStateStore, ReplacedKeyRemoval } from '@pairchat/keys';
import { Vault, type VaultOptions } from './vault.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const json = (value: unknown) => encoder.encode(JSON.stringify(value));
const parse = <T>(bytes: Uint8Array | null): T | null => (bytes ? (JSON.parse(decoder.decode(bytes)) as T) : null);
/** Upper bound for string ranges over keys that start with a prefix. */
const RANGE_END = '\uffff';

const LOCAL = {
  identityKeyPair: 'identityKeyPair',
  registrationId: 'registrationId',
  device: 'device',
  keyState: 'keyState',
} as const;

/** This device on the server, once its first key upload succeeded. */
export interface LocalDevice {
  /** The account id: the `name` of our protocol addresses. */
  userId: string;
  /** Our number in protocol addresses (1..127), from `GET/PUT /keys` answers. */
  protocolDeviceId: number;
}

/** A contact's identity key that differs from the one we trusted, waiting for the user to see it. */
export interface IdentityChangeNotice {
  /** `name.deviceId` of the address that presented the new key. */
  address: string;
  /** The contact's account id. */
  name: string;
  /** The key we trusted before (serialised public key). */
  previousKey: Uint8Array;
  /** The key now presented. */
  newKey: Uint8Array;
  /** When it was first seen (ms). */
  seenAt: number;
  /** True once the new key was accepted (saved); the warning stays until dismissed. */
  accepted: boolean;
}

interface IdentityChangeRecord {
  name: string;
  previousKey: string;
  newKey: string;
  seenAt: number;
  accepted: boolean;
}

export interface DeviceStoresOptions extends VaultOptions {
  /** Clock in ms for identity-change notices; defaults to Date.now. */
  now?: () => number;
  /**
   * Trust a changed identity key when receiving (Signal's client policy: the message decrypts and
   * the change is shown). Default false: the strict store contract of `@pairchat/crypto`.
   */
  trustOnReceive?: boolean;
}

/**
 * Everything one browser device persists for the protocol. Create with {@link DeviceStores.open}.
 * Operations on one remote address must not run concurrently (the engine's rule); the worker
 * serialises all operations.
 */
export class DeviceStores {
  readonly protocol: ProtocolStores;
  readonly senderKeys: SenderKeyStore;
  readonly keyState: KeyStateStore;
  readonly removal: ReplacedKeyRemoval;
  private readonly now: () => number;

  private constructor(
    private readonly vault: Vault,
    now: () => number,
    private readonly trustOnReceive = false,
  ) {
    this.now = now;
    this.protocol = {
      session: this.sessionStore(),
      identity: this.identityStore(),
      preKey: this.preKeyStore(),
      signedPreKey: this.signedPreKeyStore(),
      kyberPreKey: this.kyberPreKeyStore(),
    };
    this.senderKeys = this.senderKeyStore();
    this.keyState = {
      load: async () => parse<KeyManagerState>(await vault.get('local', LOCAL.keyState)),
      save: (state) => vault.put('local', LOCAL.keyState, json(state)),
    };
    this.removal = {
      removeSignedPreKey: (id) => vault.delete('signedPreKey', id),
      removeKyberPreKey: async (id) => {
        await vault.delete('kyberPreKey', id);
        await vault.delete('kyberLastResort', id);
        await vault.delete('kyberUsed', IDBKeyRange.bound(`${id}/`, `${id}/${RANGE_END}`));
      },
    };
  }

  /** Opens the device's database (creating it and its wrapping key on first use). */
  static async open({ now = Date.now, trustOnReceive, ...options }: DeviceStoresOptions): Promise<DeviceStores> {
    return new DeviceStores(await Vault.open(options), now, trustOnReceive);
  }

  /** The IndexedDB database name. */
  get vaultName(): string {
    return this.vault.name;
  }

  /** True once {@link setLocalIdentity} ran on this database. */
  async hasIdentity(): Promise<boolean> {
    return (await this.vault.get('local', LOCAL.identityKeyPair)) !== null;
  }

  /**
   * Stores our identity key pair and registration id. Refuses to overwrite an existing identity:
   * replacing it must be an explicit {@link wipe} first (reset identity, link device).
   * @throws Error if an identity is already stored
   */
  async setLocalIdentity(identityKeyPair: Uint8Array, registrationId: number): Promise<void> {
    if (!(identityKeyPair instanceof Uint8Array)) throw new TypeError('identityKeyPair: expected Uint8Array');
    if (!Number.isInteger(registrationId) || registrationId < 1)
      throw new RangeError('registrationId: expected positive integer');
    if (!(await this.vault.add('local', LOCAL.identityKeyPair, identityKeyPair))) {
      throw new Error('this device already has an identity; wipe it first');
    }
    await this.vault.put('local', LOCAL.registrationId, json(registrationId));
  }

  /** Marks the Kyber prekey `keyId` as last-resort: kept after use, replays refused. */
  async markLastResort(keyId: number): Promise<void> {
    await this.vault.put('kyberLastResort', keyId, json(true));
  }

  /** This device on the server, or null before its first successful upload. */
  async localDevice(): Promise<LocalDevice | null> {
    return parse<LocalDevice>(await this.vault.get('local', LOCAL.device));
  }

  async setLocalDevice(device: LocalDevice): Promise<void> {
    await this.vault.put('local', LOCAL.device, json(device));
  }

  /** Identity changes seen, oldest first, for the conversation warning. */
  async identityChanges(): Promise<IdentityChangeNotice[]> {
    const notices: IdentityChangeNotice[] = [];
    for (const address of await this.vault.keys('identityChange')) {
      const record = parse<IdentityChangeRecord>(await this.vault.get('identityChange', address));
      if (!record) continue;
      notices.push({
        address: String(address),
        name: record.name,
        previousKey: fromBase64(record.previousKey),
        newKey: fromBase64(record.newKey),
        seenAt: record.seenAt,
        accepted: record.accepted,
      });
    }
    return notices.sort((a, b) => a.seenAt - b.seenAt);
  }

  /** Removes the warning for `address` (the user has seen it). */
  async dismissIdentityChange(address: string): Promise<void> {
    await this.vault.delete('identityChange', address);
  }

  /**
   * Accepts the new key of contact `name` (after the user saw the warning): every device address
   * of the account holds it from now on, and its notices are marked accepted. Verification was
   * already cleared when the change was seen.
   * @returns how many notices were accepted
   */
  async acceptIdentityChanges(name: string): Promise<number> {
    let count = 0;
    for (const notice of await this.identityChanges()) {
      if (notice.name !== name || notice.accepted) continue;
      await this.setAccountIdentity(addressOf(notice.address), notice.newKey);
      const record = parse<IdentityChangeRecord>(await this.vault.get('identityChange', notice.address));
      if (record) await this.vault.put('identityChange', notice.address, json({ ...record, accepted: true }));
      count++;
    }
    if (count > 0) await this.vault.delete('verification', name);
    return count;
  }

  /** The identity key we hold for contact `name` (any of its devices), or null. */
  async contactIdentity(name: string): Promise<Uint8Array | null> {
    const [first] = await this.accountAddresses(name);
    return first === undefined ? null : this.vault.get('identity', first);
  }

  /**
   * The identity key account `name` must present on every one of its devices: ours for our own
   * account (all our devices share it), else the one we hold for the contact; null if unknown.
   */
  async accountIdentity(name: string): Promise<Uint8Array | null> {
    return (await this.isOwnAccount(name)) ? this.ownIdentityKey() : this.contactIdentity(name);
  }

  /**
   * Whether the user verified contact `name`'s safety number for the identity key we now hold for
   * every one of its devices. A changed key clears it.
   */
  async isVerified(name: string): Promise<boolean> {
    const verified = await this.vault.get('verification', name);
    if (!verified) return false;
    const addresses = await this.accountAddresses(name);
    if (addresses.length === 0) return false;
    for (const address of addresses) {
      const key = await this.vault.get('identity', address);
      if (!key || !equalBytes(key, verified)) return false;
    }
    return true;
  }

  /**
   * Marks contact `name` verified (for the identity key we hold now) or not.
   * @throws Error when verifying a contact whose identity we do not know yet
   */
  async setVerified(name: string, verified: boolean): Promise<void> {
    if (!verified) return this.vault.delete('verification', name);
    const key = await this.contactIdentity(name);
    if (!key) throw new Error('no identity key known for this contact yet');
    await this.vault.put('verification', name, key);
  }

  /** Deletes the session with `address` (its next message needs a new bundle or PreKey message). */
  async deleteSession(address: ProtocolAddress): Promise<void> {
    await this.vault.delete('session', address.toString());
  }

  /** Closes the database connection. */
  close(): void {
    this.vault.close();
  }

  /** "Remove this device and wipe its keys": deletes the database and its wrapping key. */
  async wipe(): Promise<void> {
    await this.vault.destroy();
  }

  /** Store keys (`name.deviceId`) of every device address of account `name` with a stored identity. */
  private async accountAddresses(name: string): Promise<string[]> {
    return (await this.vault.keys('identity', IDBKeyRange.bound(`${name}.`, `${name}.${RANGE_END}`))).map(String);
  }

  private async isOwnAccount(name: string): Promise<boolean> {
    return (await this.localDevice())?.userId === name;
  }

  private async ownIdentityKey(): Promise<Uint8Array> {
    const pair = await this.vault.get('local', LOCAL.identityKeyPair);
    if (!pair) throw new Error('this device has no identity yet');
    return IdentityKeyPair.deserialize(pair).publicKey.serialize();
  }

  /** The identity belongs to the account: every device address of `address.name` gets `key`. */
  private async setAccountIdentity(address: ProtocolAddress, key: Uint8Array): Promise<void> {
    const addresses = new Set([...(await this.accountAddresses(address.name)), address.toString()]);
    for (const each of addresses) await this.vault.put('identity', each, key);
  }

  private sessionStore(): SessionStore {
    const { vault } = this;
    return {
      loadSession: (address) => vault.get('session', address.toString()),
      storeSession: (address, record) => vault.put('session', address.toString(), record),
    };
  }

  private identityStore(): IdentityKeyStore {
    const { vault } = this;
    const recordChange = async (
      address: ProtocolAddress,
      previousKey: Uint8Array,
      newKey: Uint8Array,
      accepted: boolean,
    ) => {
      const key = address.toString();
      const existing = parse<IdentityChangeRecord>(await vault.get('identityChange', key));
      const record: IdentityChangeRecord = {
        name: address.name,
        previousKey: existing && !existing.accepted ? existing.previousKey : toBase64(previousKey),
        newKey: toBase64(newKey),
        seenAt: existing && existing.newKey === toBase64(newKey) ? existing.seenAt : this.now(),
        accepted,
      };
      await vault.put('identityChange', key, json(record));
    };
    return {
      getIdentityKeyPair: async () => {
        const pair = await vault.get('local', LOCAL.identityKeyPair);
        if (!pair) throw new Error('this device has no identity yet');
        return pair;
      },
      getLocalRegistrationId: async () => {
        const id = parse<number>(await vault.get('local', LOCAL.registrationId));
        if (id === null) throw new Error('this device has no registration id yet');
        return id;
      },
      // The identity key belongs to the account (linking copies it to every device), so a key is
      // checked against the account's, not only the address's: a device the server adds to a
      // contact with a key of its own choosing is an identity change like any other, and one added
      // to our own account must carry our own key or it is refused outright.
      saveIdentity: async (address, identityKey) => {
        if (await this.isOwnAccount(address.name)) {
          if (!equalBytes(await this.ownIdentityKey(), identityKey)) {
            throw new ProtocolError('UntrustedIdentity', 'an own device presented another identity key');
          }
          await vault.put('identity', address.toString(), identityKey);
          return IdentityChange.NewOrUnchanged;
        }
        const stored = await vault.get('identity', address.toString());
        const known = stored ?? (await this.contactIdentity(address.name));
        if (known && equalBytes(known, identityKey)) {
          if (!stored) await vault.put('identity', address.toString(), identityKey);
          return IdentityChange.NewOrUnchanged;
        }
        if (!known) {
          await vault.put('identity', address.toString(), identityKey);
          return IdentityChange.NewOrUnchanged;
        }
        // A changed key reaches here only from a message that decrypted (trust on receive): the
        // change is recorded unaccepted, so sends to the contact wait until the user accepts it.
        await this.setAccountIdentity(address, identityKey);
        await vault.delete('verification', address.name);
        await recordChange(address, known, identityKey, false);
        return IdentityChange.ReplacedExisting;
      },
      isTrustedIdentity: async (address, identityKey, direction: Direction) => {
        if (await this.isOwnAccount(address.name)) return equalBytes(await this.ownIdentityKey(), identityKey);
        const known = (await vault.get('identity', address.toString())) ?? (await this.contactIdentity(address.name));
        if (!known || equalBytes(known, identityKey)) return true;
        // Receiving: nothing is recorded, because the message is not authenticated yet. With
        // `trustOnReceive` (the app, as Signal does) the new key is trusted for decryption; only a
        // successful decrypt saves it (saveIdentity), which records the change and clears verification.
        if (direction === Direction.Receiving) return this.trustOnReceive;
        // Sending, trust on first use: a different key is refused and kept for the warning. The
        // verified mark stays until the new key is actually accepted (acceptIdentityChanges).
        await recordChange(address, known, identityKey, false);
        return false;
      },
      getIdentity: (address) => vault.get('identity', address.toString()),
    };
  }

  private preKeyStore(): PreKeyStore {
    const { vault } = this;
    return {
      loadPreKey: (id) => vault.get('preKey', id),
      storePreKey: (id, record) => vault.put('preKey', id, record),
      removePreKey: (id) => vault.delete('preKey', id),
    };
  }

  private signedPreKeyStore(): SignedPreKeyStore {
    const { vault } = this;
    return {
      loadSignedPreKey: (id) => vault.get('signedPreKey', id),
      storeSignedPreKey: (id, record) => vault.put('signedPreKey', id, record),
    };
  }

  private kyberPreKeyStore(): KyberPreKeyStore {
    const { vault } = this;
    return {
      loadKyberPreKey: (id) => vault.get('kyberPreKey', id),
      storeKyberPreKey: (id, record) => vault.put('kyberPreKey', id, record),
      markKyberPreKeyUsed: async (kyberPreKeyId, signedPreKeyId, baseKey) => {
        if ((await vault.get('kyberLastResort', kyberPreKeyId)) === null) {
          await vault.delete('kyberPreKey', kyberPreKeyId);
          return;
        }
        // A last-resort key stays; the same (kyber id, signed id, base key) twice is a replay of
        // one PreKey message. add() makes the check-and-record atomic across tabs.
        const use = `${kyberPreKeyId}/${signedPreKeyId}/${toHex(baseKey)}`;
        if (!(await vault.add('kyberUsed', use, json(true)))) {
          throw new ProtocolError('InvalidMessage', 'reused base key with last-resort Kyber prekey');
        }
      },
    };
  }

  private senderKeyStore(): SenderKeyStore {
    const { vault } = this;
    const key = (sender: ProtocolAddress, distributionId: string) => `${sender.toString()}/${distributionId}`;
    return {
      saveSenderKey: (sender, distributionId, record) => vault.put('senderKey', key(sender, distributionId), record),
      getSenderKey: (sender, distributionId) => vault.get('senderKey', key(sender, distributionId)),
    };
  }
}

/** Parses `name.deviceId` (the store key form of a ProtocolAddress). */
function addressOf(address: string): ProtocolAddress {
  const dot = address.lastIndexOf('.');
  return new ProtocolAddress(address.slice(0, dot), Number(address.slice(dot + 1)));
}
