import { HttpStatus } from '@nestjs/common';
import { defineErrors } from '../common/app-error.js';

export enum KeysErrorCode {
  InvalidKeys = 'INVALID_KEYS',
  IdentityKeyMismatch = 'IDENTITY_KEY_MISMATCH',
  RegistrationIdMissing = 'REGISTRATION_ID_MISSING',
  KeysNotFound = 'KEYS_NOT_FOUND',
  ProtocolDeviceIdsExhausted = 'PROTOCOL_DEVICE_IDS_EXHAUSTED',
  RateLimited = 'KEY_FETCH_RATE_LIMITED',
  UploadConflict = 'KEYS_UPLOAD_CONFLICT',
}

export const keysError = defineErrors<KeysErrorCode>({
  [KeysErrorCode.InvalidKeys]: HttpStatus.BAD_REQUEST,
  [KeysErrorCode.IdentityKeyMismatch]: HttpStatus.CONFLICT,
  [KeysErrorCode.RegistrationIdMissing]: HttpStatus.BAD_REQUEST,
  [KeysErrorCode.KeysNotFound]: HttpStatus.NOT_FOUND,
  [KeysErrorCode.ProtocolDeviceIdsExhausted]: HttpStatus.CONFLICT,
  [KeysErrorCode.RateLimited]: HttpStatus.TOO_MANY_REQUESTS,
  [KeysErrorCode.UploadConflict]: HttpStatus.CONFLICT,
});
