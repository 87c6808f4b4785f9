/**
 * Protocol outcomes. Wrong types and lengths at the public edge throw `TypeError` / `RangeError`
 * (as noble does); everything the protocol itself decides throws {@link ProtocolError} with a
 * string `code` taken from libsignal's `SignalProtocolError` (`rust/protocol/src/error.rs`).
 * Messages never contain keys, plaintext or user input.
 * @module
 */

/** The codes a {@link ProtocolError} can carry; names follow libsignal's `SignalProtocolError` variants. */
export const PROTOCOL_ERROR_CODES = [
  'InvalidArgument',
  'InvalidState',
  'InvalidProtobufEncoding',
  'CiphertextMessageTooShort',
  'LegacyCiphertextVersion',
  'UnrecognizedCiphertextVersion',
  'UnrecognizedMessageVersion',
  'FingerprintVersionMismatch',
  'FingerprintParsingError',
  'NoKeyTypeIdentifier',
  'BadKeyType',
  'BadKeyLength',
  'BadKEMKeyType',
  'BadKEMKeyLength',
  'BadKEMCiphertextLength',
  'InvalidKeyAgreement',
  'SignatureValidationFailed',
  'UntrustedIdentity',
  'InvalidPreKeyId',
  'InvalidSignedPreKeyId',
  'InvalidKyberPreKeyId',
  'InvalidMacKeyLength',
  'NoSenderKeyState',
  'SessionNotFound',
  'InvalidSessionStructure',
  'InvalidSenderKeySession',
  'DuplicatedMessage',
  'InvalidMessage',
  'InvalidRegistrationId',
  'InvalidProtocolAddress',
] as const;

/** A libsignal-style protocol error code. */
export type ProtocolErrorCode = (typeof PROTOCOL_ERROR_CODES)[number];

/**
 * A protocol outcome (duplicate message, untrusted identity, no session, bad MAC, ...).
 * Discriminate on `code`. `address` names the remote party for `UntrustedIdentity`,
 * `SessionNotFound` and `InvalidSession`-like outcomes when it is known.
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  /** Stable machine-readable code, see {@link PROTOCOL_ERROR_CODES}. */
  readonly code: ProtocolErrorCode;
  /** `name.deviceId` of the remote address, when the error concerns one. */
  readonly address?: string;

  /**
   * @param code - one of {@link PROTOCOL_ERROR_CODES}
   * @param message - human-readable detail; must not contain secrets or user input
   * @param opts - optional remote address and cause
   */
  constructor(code: ProtocolErrorCode, message: string, opts: { address?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    if (opts.address !== undefined) this.address = opts.address;
  }
}

/** True if `e` is a {@link ProtocolError}, optionally with the given code. */
export function isProtocolError(e: unknown, code?: ProtocolErrorCode): e is ProtocolError {
  return e instanceof ProtocolError && (code === undefined || e.code === code);
}
