/**
 * Maps errors of `@signalapp/libsignal-client` session operations to {@link ProtocolError} codes.
 * 0.103 reports most protocol outcomes as `ErrorCode.Generic`, so the `Display` text is matched.
 * The original error is kept as `cause`; its text is not copied (it can name addresses or ids).
 * Node only.
 *
 * Why {@link isLibSignalError} and not `instanceof LibSignalErrorBase`: the native addon is loaded
 * once per process and keeps the error class of the FIRST JS module instance that loaded it. When a
 * test runner (jest) re-evaluates libsignal-client's JS per test file (each file in its own realm),
 * errors thrown by the addon belong to an older copy and realm, and `instanceof` fails for every
 * file but the first. The numeric `ErrorCode` values are stable, so we match on shape.
 * @module
 */
import type * as Signal from '@signalapp/libsignal-client';
import { ProtocolError, type ProtocolErrorCode } from '../errors.js';

/** libsignal text -> code, checked in order. */
const MESSAGE_CODES: ReadonlyArray<readonly [RegExp, ProtocolErrorCode]> = [
  [/session with .* not found|no session/i, 'SessionNotFound'],
  [/signature validation failed|invalid signature/i, 'SignatureValidationFailed'],
  [/untrusted identity/i, 'UntrustedIdentity'],
  [/invalid signed prekey identifier|signed pre key .*not found/i, 'InvalidSignedPreKeyId'],
  [/invalid kyber prekey identifier|kyber pre key .*not found/i, 'InvalidKyberPreKeyId'],
  [/invalid prekey identifier|pre key .*not found/i, 'InvalidPreKeyId'],
  [/ciphertext version was too old|legacy/i, 'LegacyCiphertextVersion'],
  [/unrecognized message version/i, 'UnrecognizedMessageVersion'],
  [/unrecognized ciphertext version/i, 'UnrecognizedCiphertextVersion'],
  [/too short/i, 'CiphertextMessageTooShort'],
  [/protobuf encoding was invalid/i, 'InvalidProtobufEncoding'],
  [/bad KEM key type/i, 'BadKEMKeyType'],
  [/bad KEM key length/i, 'BadKEMKeyLength'],
  [/bad key type/i, 'BadKeyType'],
  [/bad key length/i, 'BadKeyLength'],
  [/invalid key agreement/i, 'InvalidKeyAgreement'],
];

/**
 * True for errors thrown by libsignal-client, from any module instance or realm (see the module
 * note; even `instanceof Error` fails across jest's per-file realms).
 */
export function isLibSignalError(e: unknown): e is { code: number; message: string; operation: string } {
  if (typeof e !== 'object' || e === null) return false;
  const x = e as { code?: unknown; message?: unknown; operation?: unknown };
  return typeof x.code === 'number' && typeof x.message === 'string' && typeof x.operation === 'string';
}

/**
 * Converts a libsignal-client error to a {@link ProtocolError}.
 * @param e - the caught value
 * @param fallback - code for unrecognised libsignal errors (e.g. `InvalidMessage` when decrypting)
 * @returns the value to throw: our own errors and non-libsignal errors unchanged
 */
export function mapNativeError(signal: typeof Signal, e: unknown, fallback?: ProtocolErrorCode): unknown {
  if (e instanceof ProtocolError) return e;
  // By shape, not `instanceof signal.LibSignalErrorBase`: the addon builds its errors from the class
  // of the first copy of libsignal-client that loaded it, and jest loads one copy per test file
  // (each in its own realm) within one process.
  if (!isLibSignalError(e)) return e;
  let code: ProtocolErrorCode | undefined;
  if (e.code === signal.ErrorCode.DuplicatedMessage) code = 'DuplicatedMessage';
  else if (e.code === signal.ErrorCode.UntrustedIdentity) code = 'UntrustedIdentity';
  else if (e.code === signal.ErrorCode.InvalidSession) code = 'SessionNotFound';
  else if (e.code === signal.ErrorCode.InvalidProtocolAddress) code = 'InvalidProtocolAddress';
  else if (e.code === signal.ErrorCode.InvalidRegistrationId) code = 'InvalidRegistrationId';
  else code = MESSAGE_CODES.find(([re]) => re.test(e.message))?.[1] ?? fallback;
  if (code === undefined) return e;
  return new ProtocolError(code, `libsignal: ${code}`, { cause: e });
}
