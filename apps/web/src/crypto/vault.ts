/**
 * An IndexedDB database whose records are encrypted at rest.
 *
 * - One AES-256-GCM key per database, generated with WebCrypto as NON-EXTRACTABLE and kept in the
 *   database itself as a `CryptoKey` (structured clone preserves non-extractability): script in
 *   this origin can use it, but no script can read its bytes.
 * - Every record gets a fresh 96-bit random IV; the additional data binds the object-store name and
 *   the record key, so a record copied or swapped into another slot fails to decrypt.
 * - Record keys (prekey ids, protocol addresses) stay in the clear: they are ids, not secrets.
 *
 * What this gives: no private key, session or sender-key record is ever stored as plaintext, so
 * tools that read IndexedDB values (exports, devtools, backups of the records) see only ciphertext;
 * tampering and swapping are detected; wiping destroys the key with the records.
 *
 * What it does NOT give (JavaScript cannot): the browser itself serialises the CryptoKey into the
 * profile directory, so someone holding the whole profile (or the OS account) can recover it unless
 * the browser encrypts its profile; script running in this origin (an XSS) can ask for decryption
 * as the app does; deleted LevelDB entries may linger on disk until compaction; WebCrypto's
 * internal buffers cannot be zeroed.
 * @module
 */

/** Object stores of a vault database, in creation order. Bump {@link VAULT_DB_VERSION} to add one. */
export const VAULT_STORES = [
  'local',
  'session',
  'identity',
  'identityChange',
  'verification',
  'preKey',
  'signedPreKey',
  'kyberPreKey',
  'kyberLastResort',
  'kyberUsed',
  'senderKey',
  // Chat history of this device (chat/history-store.ts): rows, their id/message-id index, and
  // chat state (conversation meta, device cache, sends waiting for encryption, the SDK outbox).
  'history',
  'historyIndex',
  'chat',
] as const;
export type VaultStore = (typeof VAULT_STORES)[number];

/** Schema version of vault databases. 2 added the chat stores (`history`, `historyIndex`, `chat`). */
export const VAULT_DB_VERSION = 2;
/** Holds the wrapping key; the only object store that is not encrypted. */
const KEYRING = 'keyring';
const WRAPPING_KEY = 'aes-gcm-256';
/** AES-GCM IV length recommended by NIST SP 800-38D for random IVs. */
const IV_LENGTH = 12;
/** Version tag inside the additional data, so a future format cannot be confused with this one. */
const AAD_LABEL = 'pairchat.vault.v1';

/** A record key: a number (prekey ids) or a string (addresses). */
export type VaultKey = string | number;

/** The stored shape of an encrypted record. */
export interface SealedRecord {
  iv: Uint8Array;
  ciphertext: Uint8Array;
}

export interface VaultOptions {
  /** Database name (one per account device). */
  name: string;
  /** Defaults to the global `indexedDB`. */
  indexedDB?: IDBFactory;
  /** Defaults to the global `crypto`. */
  crypto?: Crypto;
}

/** Thrown when a record does not decrypt (tampered, swapped, or a different wrapping key). */
export class VaultIntegrityError extends Error {
  override readonly name = 'VaultIntegrityError';
}

/**
 * Another tab holds an older version of the database open and does not close it, so the upgrade
 * cannot run. Nothing was opened; ask the user to close the other Pairchat tabs and reload.
 */
export class VaultBlockedError extends Error {
  override readonly name = 'VaultBlockedError';
}

/**
 * How hard a write commits. `strict` (where the browser supports it) waits for the data to be on
 * disk, for writes something irreversible follows, such as acking an envelope to the server.
 */
export type VaultDurability = 'strict' | 'relaxed' | 'default';

export interface VaultWriteOptions {
  durability?: VaultDurability;
}

const encoder = new TextEncoder();

/** A fresh `Uint8Array` backed by a plain `ArrayBuffer` (what WebCrypto's typings want). */
const own = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(bytes);

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

function openDatabase(factory: IDBFactory, name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    let blocked = false;
    const req = factory.open(name, VAULT_DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      for (const store of [KEYRING, ...VAULT_STORES]) {
        if (!db.objectStoreNames.contains(store)) db.createObjectStore(store);
      }
    };
    req.onsuccess = () => {
      // The request carried on after we gave up: close what it opened, or it would block the
      // next upgrade and every deleteDatabase (wipe) in this origin.
      if (blocked) req.result.close();
      else resolve(req.result);
    };
    req.onerror = () => reject(req.error ?? new Error('cannot open IndexedDB'));
    req.onblocked = () => {
      blocked = true;
      reject(new VaultBlockedError('IndexedDB upgrade blocked by another tab'));
    };
  });
}

/** Deletes database `name`; resolves once it is gone. */
export function deleteDatabase(factory: IDBFactory, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = factory.deleteDatabase(name);
    req.onsuccess = () => resolve();
    req.onerror = () => reject(req.error ?? new Error('cannot delete IndexedDB'));
    // A tab still holding the database open delays deletion; it completes once that tab closes it
    // (every Vault closes on `versionchange`), and onsuccess then fires.
  });
}

/**
 * Runs `store.add(value, key)` in its own transaction.
 * @returns false (and writes nothing) if a record already exists under `key`
 */
function addOnce(db: IDBDatabase, store: string, key: IDBValidKey, value: unknown): Promise<boolean> {
  const tx = db.transaction(store, 'readwrite');
  const finished = done(tx);
  const req = tx.objectStore(store).add(value, key);
  const added = new Promise<boolean>((resolve, reject) => {
    req.onsuccess = () => resolve(true);
    req.onerror = (event) => {
      if (req.error?.name !== 'ConstraintError') return reject(req.error ?? new Error('IndexedDB add failed'));
      event.preventDefault(); // an existing record is an answer, not a failed transaction
      event.stopPropagation();
      resolve(false);
    };
  });
  return Promise.all([added, finished]).then(([result]) => result);
}

/** Encrypted key-value access to one IndexedDB database. Open it with {@link Vault.open}. */
export class Vault {
  private readonly versionChangeListeners = new Set<() => void>();

  private constructor(
    private readonly db: IDBDatabase,
    private readonly key: CryptoKey,
    private readonly crypto: Crypto,
    private readonly factory: IDBFactory,
    readonly name: string,
  ) {
    // Another context deleting or upgrading the database (wipe or a newer app in another tab)
    // must not wait for us; this connection is unusable afterwards, which listeners are told.
    db.onversionchange = () => {
      db.close();
      for (const listener of [...this.versionChangeListeners]) listener();
    };
  }

  /**
   * Calls `listener` when another tab deletes or upgrades the database; this vault is closed by
   * then (reload to open the new version). @returns the unsubscribe
   */
  onVersionChange(listener: () => void): () => void {
    this.versionChangeListeners.add(listener);
    return () => this.versionChangeListeners.delete(listener);
  }

  /**
   * Opens (or creates) the database and loads its wrapping key, generating it on first use.
   * @throws Error when IndexedDB or WebCrypto is unavailable
   */
  static async open({
    name,
    indexedDB = globalThis.indexedDB,
    crypto = globalThis.crypto,
  }: VaultOptions): Promise<Vault> {
    if (!indexedDB) throw new Error('IndexedDB is not available in this browser');
    if (!crypto?.subtle) throw new Error('WebCrypto is not available (a secure context is required)');
    const db = await openDatabase(indexedDB, name);
    try {
      return new Vault(db, await Vault.wrappingKey(db, crypto), crypto, indexedDB, name);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  private static async wrappingKey(db: IDBDatabase, crypto: Crypto): Promise<CryptoKey> {
    const existing = await request(db.transaction(KEYRING).objectStore(KEYRING).get(WRAPPING_KEY));
    if (existing) return existing as CryptoKey;
    const fresh = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    // add(), not put(): if another tab or the worker created the key meanwhile, keep theirs.
    if (await addOnce(db, KEYRING, WRAPPING_KEY, fresh)) return fresh;
    return (await request(db.transaction(KEYRING).objectStore(KEYRING).get(WRAPPING_KEY))) as CryptoKey;
  }

  private aad(store: VaultStore, key: VaultKey): Uint8Array<ArrayBuffer> {
    return encoder.encode(`${AAD_LABEL}|${store}|${typeof key === 'number' ? 'n' : 's'}:${key}`);
  }

  private async seal(store: VaultStore, key: VaultKey, plaintext: Uint8Array): Promise<SealedRecord> {
    const iv = this.crypto.getRandomValues(new Uint8Array(IV_LENGTH));
    const data = own(plaintext);
    try {
      const ciphertext = await this.crypto.subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: this.aad(store, key), tagLength: 128 },
        this.key,
        data,
      );
      return { iv, ciphertext: new Uint8Array(ciphertext) };
    } finally {
      data.fill(0);
    }
  }

  private async open(store: VaultStore, key: VaultKey, sealed: unknown): Promise<Uint8Array> {
    const record = sealed as Partial<SealedRecord>;
    if (
      !(record?.iv instanceof Uint8Array) ||
      !(record.ciphertext instanceof Uint8Array) ||
      record.iv.length !== IV_LENGTH
    ) {
      throw new VaultIntegrityError(`malformed record in ${store}`);
    }
    try {
      const plain = await this.crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: own(record.iv), additionalData: this.aad(store, key), tagLength: 128 },
        this.key,
        own(record.ciphertext),
      );
      return new Uint8Array(plain);
    } catch {
      throw new VaultIntegrityError(`record in ${store} does not decrypt (tampered or moved)`);
    }
  }

  /** The decrypted record, or null if there is none. @throws VaultIntegrityError */
  async get(store: VaultStore, key: VaultKey): Promise<Uint8Array | null> {
    const sealed = await request(this.db.transaction(store).objectStore(store).get(key));
    return sealed === undefined ? null : this.open(store, key, sealed);
  }

  /**
   * Encrypts and stores `plaintext`, replacing any record under `key`. Committed when it resolves
   * (on disk with `durability: 'strict'`).
   */
  async put(store: VaultStore, key: VaultKey, plaintext: Uint8Array, options: VaultWriteOptions = {}): Promise<void> {
    const sealed = await this.seal(store, key, plaintext);
    const tx = this.transaction(store, options);
    tx.objectStore(store).put(sealed, key);
    await done(tx);
  }

  /**
   * Encrypts and writes several records, and deletes `deletes`, in one IndexedDB transaction: all
   * of it lands or none of it (a history row with its index and the send that carries it).
   */
  async writeMany(
    puts: { store: VaultStore; key: VaultKey; plaintext: Uint8Array }[],
    deletes: { store: VaultStore; key: VaultKey }[] = [],
    options: VaultWriteOptions = {},
  ): Promise<void> {
    const sealed = await Promise.all(
      puts.map(async (p) => ({ ...p, sealed: await this.seal(p.store, p.key, p.plaintext) })),
    );
    const stores = [...new Set([...puts.map((p) => p.store), ...deletes.map((d) => d.store)])];
    if (stores.length === 0) return;
    const tx = this.transaction(stores, options);
    const finished = done(tx);
    try {
      for (const { store, key } of deletes) tx.objectStore(store).delete(key);
      for (const { store, key, sealed: record } of sealed) tx.objectStore(store).put(record, key);
    } catch (error) {
      tx.abort(); // a bad key midway: nothing of this batch may land
      await finished.catch(() => undefined);
      throw error;
    }
    await finished;
  }

  /**
   * Stores `plaintext` only if nothing is stored under `key` (atomic in IndexedDB).
   * @returns false if a record already existed
   */
  async add(store: VaultStore, key: VaultKey, plaintext: Uint8Array): Promise<boolean> {
    return addOnce(this.db, store, key, await this.seal(store, key, plaintext));
  }

  /** Deletes one record, or every record in a key range. Deleting nothing is not an error. */
  async delete(store: VaultStore, key: VaultKey | IDBKeyRange): Promise<void> {
    const tx = this.db.transaction(store, 'readwrite');
    tx.objectStore(store).delete(key);
    await done(tx);
  }

  /** The record keys of `store` (optionally within `range`), in key order. */
  async keys(store: VaultStore, range?: IDBKeyRange): Promise<VaultKey[]> {
    return (await request(this.db.transaction(store).objectStore(store).getAllKeys(range))) as VaultKey[];
  }

  /**
   * Up to `limit` record keys of `store` within `range`, from the highest key down (newest first
   * for keys that sort by time). Reads keys only, so paging does not decrypt what it skips.
   */
  async lastKeys(store: VaultStore, range: IDBKeyRange, limit: number): Promise<VaultKey[]> {
    const keys: VaultKey[] = [];
    const req = this.db.transaction(store).objectStore(store).openKeyCursor(range, 'prev');
    await new Promise<void>((resolve, reject) => {
      req.onsuccess = () => {
        const cursor = req.result;
        if (!cursor || keys.length >= limit) return resolve();
        keys.push(cursor.key as VaultKey);
        cursor.continue();
      };
      req.onerror = () => reject(req.error ?? new Error('IndexedDB cursor failed'));
    });
    return keys;
  }

  private transaction(stores: VaultStore | VaultStore[], { durability }: VaultWriteOptions): IDBTransaction {
    // Browsers without the option ignore the third argument (it is a dictionary).
    return durability
      ? this.db.transaction(stores, 'readwrite', { durability })
      : this.db.transaction(stores, 'readwrite');
  }

  /** Closes the connection. */
  close(): void {
    this.db.close();
  }

  /** Closes and deletes the whole database, wrapping key included. */
  async destroy(): Promise<void> {
    this.db.close();
    await deleteDatabase(this.factory, this.name);
  }
}
