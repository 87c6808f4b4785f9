/**
 * Byte-level validation of key uploads: every field decoded, its length and type byte checked,
 * duplicate ids refused, each problem named by its field path. Signature checks need an engine
 * and live in {@link verifyKeysUpload}.
 * @module
 */
import { fromBase64 } from '@pairchat/crypto';
import {
  EC_KEY_TYPE,
  EC_PUBLIC_KEY_LENGTH,
  type KeysUploadRequest,
  keysUploadSchema,
  KYBER_KEY_TYPE,
  KYBER_PUBLIC_KEY_LENGTH,
  SIGNATURE_LENGTH,
} from './wire.js';

/** One problem with one field of an upload, e.g. `{ field: 'preKeys[3].publicKey', problem: 'expected 33 bytes, got 32' }`. */
export interface KeyFieldError {
  field: string;
  problem: string;
}

/** Thrown by {@link decodeKeysUpload}; lists every bad field. */
export class KeyValidationError extends Error {
  constructor(readonly errors: KeyFieldError[]) {
    super(errors.map((e) => `${e.field}: ${e.problem}`).join('; '));
    this.name = 'KeyValidationError';
  }
}

export interface DecodedEcPreKey {
  keyId: number;
  publicKey: Uint8Array;
}
export interface DecodedSignedPreKey extends DecodedEcPreKey {
  signature: Uint8Array;
}

/** A key upload with every key as bytes, lengths and type bytes checked. */
export interface DecodedKeysUpload {
  identityKey: Uint8Array;
  registrationId?: number;
  signedPreKey?: DecodedSignedPreKey;
  lastResortKyberPreKey?: DecodedSignedPreKey;
  preKeys: DecodedEcPreKey[];
  kyberPreKeys: DecodedSignedPreKey[];
}

/**
 * Parses and checks an upload body.
 * @throws KeyValidationError naming every bad field (unknown fields, wrong types, bad base64,
 *   wrong lengths or key types, oversize batches, duplicate ids)
 */
export function decodeKeysUpload(body: unknown): DecodedKeysUpload {
  const parsed = keysUploadSchema.safeParse(body);
  if (!parsed.success) {
    throw new KeyValidationError(
      parsed.error.issues.map((issue) => ({ field: fieldPath(issue.path) || '(body)', problem: issue.message })),
    );
  }
  const errors: KeyFieldError[] = [];
  const upload: KeysUploadRequest = parsed.data;
  const key = (field: string, value: string, length: number, type?: number): Uint8Array => {
    const bytes = fromBase64(value);
    if (bytes.length !== length) errors.push({ field, problem: `expected ${length} bytes, got ${bytes.length}` });
    else if (type !== undefined && bytes[0] !== type)
      errors.push({ field, problem: `expected key type 0x${hex(type)}, got 0x${hex(bytes[0]!)}` });
    return bytes;
  };
  const ec = (field: string, k: { keyId: number; publicKey: string }) => ({
    keyId: k.keyId,
    publicKey: key(`${field}.publicKey`, k.publicKey, EC_PUBLIC_KEY_LENGTH, EC_KEY_TYPE),
  });
  const signed = (
    field: string,
    k: { keyId: number; publicKey: string; signature: string },
    length: number,
    type: number,
  ) => ({
    keyId: k.keyId,
    publicKey: key(`${field}.publicKey`, k.publicKey, length, type),
    signature: key(`${field}.signature`, k.signature, SIGNATURE_LENGTH),
  });
  const decoded: DecodedKeysUpload = {
    identityKey: key('identityKey', upload.identityKey, EC_PUBLIC_KEY_LENGTH, EC_KEY_TYPE),
    registrationId: upload.registrationId,
    signedPreKey: upload.signedPreKey && signed('signedPreKey', upload.signedPreKey, EC_PUBLIC_KEY_LENGTH, EC_KEY_TYPE),
    lastResortKyberPreKey:
      upload.lastResortKyberPreKey &&
      signed('lastResortKyberPreKey', upload.lastResortKyberPreKey, KYBER_PUBLIC_KEY_LENGTH, KYBER_KEY_TYPE),
    preKeys: (upload.preKeys ?? []).map((k, i) => ec(`preKeys[${i}]`, k)),
    kyberPreKeys: (upload.kyberPreKeys ?? []).map((k, i) =>
      signed(`kyberPreKeys[${i}]`, k, KYBER_PUBLIC_KEY_LENGTH, KYBER_KEY_TYPE),
    ),
  };
  errors.push(...duplicateIds('preKeys', decoded.preKeys), ...duplicateIds('kyberPreKeys', decoded.kyberPreKeys));
  if (
    decoded.lastResortKyberPreKey &&
    decoded.kyberPreKeys.some((k) => k.keyId === decoded.lastResortKyberPreKey!.keyId)
  ) {
    errors.push({ field: 'lastResortKyberPreKey.keyId', problem: 'also used by a one-time Kyber prekey' });
  }
  if (errors.length) throw new KeyValidationError(errors);
  return decoded;
}

function duplicateIds(field: string, keys: { keyId: number }[]): KeyFieldError[] {
  const seen = new Set<number>();
  return keys.flatMap((k, i) => {
    if (!seen.has(k.keyId)) {
      seen.add(k.keyId);
      return [];
    }
    return [{ field: `${field}[${i}].keyId`, problem: `duplicate id ${k.keyId}` }];
  });
}

function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)),
    '',
  );
}

const hex = (n: number) => n.toString(16).padStart(2, '0');
