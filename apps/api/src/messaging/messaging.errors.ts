import { HttpStatus } from '@nestjs/common';
import type { RealtimeErrorCode } from '@pairchat/messaging';
import { defineErrors } from '../common/app-error.js';

/** Refusals of `message:send` / `typing:send` (also the `code` of the socket error ack). */
export enum MessagingErrorCode {
  NotPaired = 'NOT_PAIRED',
  DevicesMismatch = 'DEVICES_MISMATCH',
  CiphertextTooLarge = 'CIPHERTEXT_TOO_LARGE',
  TooManyDevices = 'TOO_MANY_DEVICES',
  RateLimited = 'RATE_LIMITED',
  MessageTooLarge = 'MESSAGE_TOO_LARGE',
}

// Every code here is part of the shared realtime protocol: a code missing there fails to compile.
const _shared: Record<MessagingErrorCode, RealtimeErrorCode> = {
  [MessagingErrorCode.NotPaired]: 'NOT_PAIRED',
  [MessagingErrorCode.DevicesMismatch]: 'DEVICES_MISMATCH',
  [MessagingErrorCode.CiphertextTooLarge]: 'CIPHERTEXT_TOO_LARGE',
  [MessagingErrorCode.TooManyDevices]: 'TOO_MANY_DEVICES',
  [MessagingErrorCode.RateLimited]: 'RATE_LIMITED',
  [MessagingErrorCode.MessageTooLarge]: 'MESSAGE_TOO_LARGE',
};
void _shared;

export const messagingError = defineErrors<MessagingErrorCode>({
  [MessagingErrorCode.NotPaired]: HttpStatus.FORBIDDEN,
  [MessagingErrorCode.DevicesMismatch]: HttpStatus.CONFLICT,
  [MessagingErrorCode.CiphertextTooLarge]: HttpStatus.PAYLOAD_TOO_LARGE,
  [MessagingErrorCode.TooManyDevices]: HttpStatus.BAD_REQUEST,
  [MessagingErrorCode.RateLimited]: HttpStatus.TOO_MANY_REQUESTS,
  [MessagingErrorCode.MessageTooLarge]: HttpStatus.PAYLOAD_TOO_LARGE,
});
