import { HttpStatus } from '@nestjs/common';
import { defineErrors } from '../common/app-error.js';

export enum DevicesErrorCode {
  DeviceNotFound = 'DEVICE_NOT_FOUND',
  DeviceLimitReached = 'DEVICE_LIMIT_REACHED',
  LinkNotFound = 'LINK_NOT_FOUND',
  LinkTokenInvalid = 'LINK_TOKEN_INVALID',
  LinkAlreadyUsed = 'LINK_ALREADY_USED',
  LinkExpired = 'LINK_EXPIRED',
  LinkOwnDevice = 'LINK_OWN_DEVICE',
  LinkRateLimited = 'LINK_RATE_LIMITED',
}

export const devicesError = defineErrors<DevicesErrorCode>({
  [DevicesErrorCode.DeviceNotFound]: HttpStatus.NOT_FOUND,
  [DevicesErrorCode.DeviceLimitReached]: HttpStatus.CONFLICT,
  [DevicesErrorCode.LinkNotFound]: HttpStatus.NOT_FOUND,
  [DevicesErrorCode.LinkTokenInvalid]: HttpStatus.FORBIDDEN,
  [DevicesErrorCode.LinkAlreadyUsed]: HttpStatus.CONFLICT,
  [DevicesErrorCode.LinkExpired]: HttpStatus.GONE,
  [DevicesErrorCode.LinkOwnDevice]: HttpStatus.CONFLICT,
  [DevicesErrorCode.LinkRateLimited]: HttpStatus.TOO_MANY_REQUESTS,
});
