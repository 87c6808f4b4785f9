/**
 * Maps errors thrown by `@signalapp/libsignal-client` (a `LibSignalErrorBase` with a numeric `code`
 * and libsignal's `Display` text) to our {@link ProtocolError} codes, for the group and
 * fingerprint adapters. libsignal-client 0.103 gives most protocol outcomes `ErrorCode.Generic`,
 * so the text is matched; the patterns were checked against 0.103.0's actual messages. The
 * original error is kept as `cause`; its text is never copied into ours (it may name ids).
 * Node only.
 * @module
 */
import { ErrorCode } from '@signalapp/libsignal-client';
import { ProtocolError, type ProtocolErrorCode } from '../errors.js';

/** libsignal `Display` text -> our code, checked in order. */
const MESSAGE_CODES: ReadonlyArray<readonly [RegExp, ProtocolErrorCode]> = [
  [/^missing sender key state/, 'NoSenderKeyState'],
  [/^invalid signature detected/, 'SignatureValidationFailed'],
  [/^ciphertext version was too old/, 'LegacyCiphertextVersion'],
  [/^ciphertext version was unrecognized/, 'UnrecognizedCiphertextVersion'],
  [/^ciphertext serialized bytes were too short/, 'CiphertextMessageTooShort'],
  [/^protobuf encoding was invalid/, 'InvalidProtobufEncoding'],
  [/^unrecognized message version/, 'UnrecognizedMessageVersion'],
  [/^invalid sender key session/, 'InvalidSenderKeySession'],
  [/^fingerprint version number mismatch/, 'FingerprintVersionMismatch'],
  [/^fingerprint parsing error/, 'FingerprintParsingError'],
  [/^bad key type/, 'BadKeyType'],
  [/^bad key length/, 'BadKeyLength'],
  [/^invalid (senderkey )?message/i, 'InvalidMessage'],
  [/^invalid state/, 'InvalidState'],
];

/** Fixed, secret-free messages per code. */
const MESSAGES: Partial<Record<ProtocolErrorCode, string>> = {
  NoSenderKeyState: 'no sender key state for this distribution id',
  SignatureValidationFailed: 'sender key message signature validation failed',
  DuplicatedMessage: 'duplicate sender key message',
  InvalidSenderKeySession: 'invalid sender key session',
  FingerprintVersionMismatch: 'fingerprint version mismatch',
  FingerprintParsingError: 'scannable fingerprint: malformed protobuf',
  InvalidMessage: 'invalid sender key message',
};

/** The fields of libsignal-client's `LibSignalErrorBase` that we read. */
interface NativeErrorShape {
  readonly code: number;
  readonly operation: string;
  readonly message: string;
}

/**
 * Recognises a libsignal-client error by shape, not `instanceof`: the native addon registers the
 * error classes of the first copy of the JS module that loads it, so under a module registry that
 * loads the package more than once (jest runs each test file in a fresh registry, one process)
 * later copies see errors built from the first copy's class, even from another realm's `Error`.
 */
function isNativeError(e: unknown): e is NativeErrorShape {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as Partial<NativeErrorShape>).code === 'number' &&
    typeof (e as Partial<NativeErrorShape>).operation === 'string'
  );
}

/**
 * Converts a libsignal-client error to a {@link ProtocolError}; anything else (including
 * libsignal errors we have no code for) is returned unchanged.
 * @param e the caught value
 * @returns the value to throw
 */
export function fromNativeError(e: unknown): unknown {
  if (!isNativeError(e)) return e;
  let code: ProtocolErrorCode | undefined;
  if (e.code === ErrorCode.DuplicatedMessage) code = 'DuplicatedMessage';
  else if (e.code === ErrorCode.InvalidSenderKeySession) code = 'InvalidSenderKeySession';
  else code = MESSAGE_CODES.find(([re]) => re.test(e.message))?.[1];
  if (code === undefined) return e;
  return new ProtocolError(code, MESSAGES[code] ?? `libsignal: ${code}`, { cause: e });
}

/**
 * Runs `f` and rethrows libsignal-client errors as {@link ProtocolError}s.
 * @param f the call into libsignal-client
 * @returns what `f` returns
 */
export async function mapNativeErrors<T>(f: () => T | Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw fromNativeError(e);
  }
}
