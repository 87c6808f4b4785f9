/**
 * The typed RPC between the page and the crypto worker. The page sends {@link EngineRequest}s; the
 * worker answers each with progress events and then exactly one result or error. Everything that
 * crosses is structured-cloneable (bytes as `Uint8Array`, addresses as plain objects).
 * @module
 */
import type { CiphertextMessage, PreKeyBundle } from '@pairchat/crypto';
import type { KeysUploadRequest, PreKeyCounts } from '@pairchat/keys';
import type { DeviceLinkCompleteRequestDto, DeviceLinkSealedDto } from '@pairchat/messaging';

/** A protocol address as plain data: account id and protocol device id (1..127). */
export interface AddressDto {
  name: string;
  deviceId: number;
}

/** What this browser's crypto state looks like. */
export interface EngineStatus {
  /** The IndexedDB database the worker opened. */
  database: string;
  /** True once an identity key pair is stored. */
  hasIdentity: boolean;
  /** Our identity public key, base64 (`0x05 || u`), when there is one. */
  identityKey: string | null;
  registrationId: number | null;
  /** True once prekeys were generated (the key manager has saved state). */
  hasPreKeys: boolean;
  /** Our protocol device id, once a key upload was accepted by the server. */
  protocolDeviceId: number | null;
}

/** The safety number with a contact, as the safety-number screen shows it. */
export interface SafetyNumberView {
  /** 60 digits. */
  displayable: string;
  /** Our scannable fingerprint (QR payload). */
  scannable: Uint8Array;
  /** Whether the user marked this contact's current identity key as verified. */
  verified: boolean;
}

/** An identity-change warning, as plain data. */
export interface IdentityChangeDto {
  address: string;
  name: string;
  previousKey: Uint8Array;
  newKey: Uint8Array;
  seenAt: number;
  accepted: boolean;
}

/** Result of {@link EngineOperations.decryptMessage}. */
export interface DecryptedMessage {
  plaintext: Uint8Array;
  /** True when this message saved a new identity key for the sender's account over a different one. */
  identityChanged: boolean;
}

/** The parts of a new device's link code that its worker makes; both travel only in the code. */
export interface LinkKeyDto {
  /** The ephemeral X25519 public key (32 bytes). */
  ephemeralPublicKey: Uint8Array;
  /** 32 random bytes mixed into the sealing key; never sent to the server. */
  codeSecret: Uint8Array;
}

/** The sealed identity of a completed device link, as the new device fetched it (base64 fields). */
export interface LinkedIdentityDto {
  linkId: string;
  sealed: Pick<DeviceLinkSealedDto, 'ephemeralPublicKey' | 'ciphertext' | 'iv'>;
}

/** What the existing device sends to complete a link (see device-link.ts), and the number both devices show. */
export interface LinkSealDto {
  linkId: string;
  body: DeviceLinkCompleteRequestDto;
  /** Six digits derived from the shared secret. */
  confirmation: string;
}

/** Every operation the worker offers: name -> (arguments) => result. */
export interface EngineOperations {
  /** Opens (or creates) this device's encrypted store. Must come first. */
  open(options: { database: string; userId: string }): EngineStatus;
  status(): EngineStatus;
  /** Makes and stores a new identity key pair and registration id. @throws if one exists */
  createIdentity(): EngineStatus;
  /** Generates the signed, last-resort and one-time prekeys (reports progress) and returns the `PUT /keys` body. */
  initialUpload(): KeysUploadRequest;
  /** One-time prekeys to top up, or null when `counts` are still above the threshold. */
  replenishUpload(counts: PreKeyCounts): KeysUploadRequest | null;
  /** New signed and last-resort prekeys when due (or `force`), else null. */
  rotationUpload(force: boolean): KeysUploadRequest | null;
  /** Deletes replaced keys whose grace period is over; returns how many. */
  purgeReplaced(): number;
  /** Remembers our protocol device id once the server accepted an upload. */
  setProtocolDeviceId(protocolDeviceId: number): EngineStatus;
  processPreKeyBundle(bundle: PreKeyBundle, address: AddressDto): void;
  hasSession(address: AddressDto): boolean;
  encrypt(plaintext: Uint8Array, address: AddressDto): CiphertextMessage;
  decrypt(message: CiphertextMessage, address: AddressDto): Uint8Array;
  /**
   * Decrypts like {@link decrypt} and says whether the sender's identity key replaced the one we
   * held (a PreKey message from a reinstalled device): the chat shows an identity-change row then.
   */
  decryptMessage(message: CiphertextMessage, address: AddressDto): DecryptedMessage;
  /** Deletes the session with `address` (session reset after an undecryptable message, removed device). */
  deleteSession(address: AddressDto): void;
  /**
   * Whether we may send to `address` under `identityKey` (checked against its account's key, ours
   * for our own account). A different key for a known contact is recorded as an identity change.
   */
  trustsIdentity(address: AddressDto, identityKey: Uint8Array): boolean;
  /** Safety number with contact `userId` from the identity key stored for it. */
  safetyNumber(userId: string): SafetyNumberView;
  /** Compares the QR bytes scanned from the contact's screen with ours. */
  compareScanned(userId: string, scanned: Uint8Array): boolean;
  setVerified(userId: string, verified: boolean): SafetyNumberView;
  identityChanges(): IdentityChangeDto[];
  acceptIdentityChanges(userId: string): number;
  dismissIdentityChange(address: string): void;
  /**
   * Device linking, new device: makes the ephemeral X25519 key pair and the code secret of a link
   * code and keeps the private half and the secret in the worker (replacing earlier ones).
   * @returns what goes into the code (the private half stays in the worker)
   */
  createLinkKey(): LinkKeyDto;
  /**
   * Device linking, new device: opens the sealed identity with the link key and replaces this
   * device's store with the account identity (the registration id stays this device's own).
   * Prekeys must then be generated and uploaded again (`initialUpload`).
   */
  importLinkedIdentity(link: LinkedIdentityDto): { status: EngineStatus; confirmation: string };
  /**
   * Device linking, existing device: seals our identity key pair to the new device of `code`
   * (its text form); the private key never leaves the worker unencrypted.
   */
  sealIdentityForLink(code: string): LinkSealDto;
  /** Deletes this device's database and wrapping key. The worker must be opened again afterwards. */
  wipe(): void;
}

export type EngineOperation = keyof EngineOperations;
export type EngineArgs<K extends EngineOperation> = Parameters<EngineOperations[K]>;
export type EngineResult<K extends EngineOperation> = ReturnType<EngineOperations[K]>;

/** Operation names, for validating requests at run time. */
export const ENGINE_OPERATIONS = [
  'open',
  'status',
  'createIdentity',
  'initialUpload',
  'replenishUpload',
  'rotationUpload',
  'purgeReplaced',
  'setProtocolDeviceId',
  'processPreKeyBundle',
  'hasSession',
  'encrypt',
  'decrypt',
  'decryptMessage',
  'deleteSession',
  'trustsIdentity',
  'safetyNumber',
  'compareScanned',
  'setVerified',
  'identityChanges',
  'acceptIdentityChanges',
  'dismissIdentityChange',
  'createLinkKey',
  'importLinkedIdentity',
  'sealIdentityForLink',
  'wipe',
] as const satisfies readonly EngineOperation[];

/** Page -> worker. */
export type EngineRequest = {
  [K in EngineOperation]: { id: number; op: K; args: EngineArgs<K> };
}[EngineOperation];

/** An error as it crosses the boundary: no stack, no cause (they could carry data). */
export interface SerializedError {
  name: string;
  message: string;
  /** `ProtocolError` code, when the error is one. */
  code?: string;
}

/** Worker -> page. */
export type EngineResponse =
  | { id: number; type: 'progress'; done: number; total: number }
  | { id: number; type: 'result'; value: unknown }
  | { id: number; type: 'error'; error: SerializedError };

/** True if `value` has the shape of an {@link EngineRequest} (the worker checks before running it). */
export function isEngineRequest(value: unknown): value is EngineRequest {
  if (typeof value !== 'object' || value === null) return false;
  const { id, op, args } = value as Record<string, unknown>;
  return (
    Number.isSafeInteger(id) &&
    typeof op === 'string' &&
    (ENGINE_OPERATIONS as readonly string[]).includes(op) &&
    Array.isArray(args)
  );
}

/** True if `value` has the shape of an {@link EngineResponse}. */
export function isEngineResponse(value: unknown): value is EngineResponse {
  if (typeof value !== 'object' || value === null) return false;
  const { id, type } = value as Record<string, unknown>;
  return Number.isSafeInteger(id) && (type === 'progress' || type === 'result' || type === 'error');
}
