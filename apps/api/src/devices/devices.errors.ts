import { HttpStatus } from '@nestjs/common';
import { defineErrors } from '../common/app-error.js';

export enum DevicesErrorCode {
  DeviceNotFound = 'DEVICE_NOT_FOUND',
  DeviceLimitReached = 'DEVICE_LIMIT_REACHED',
}

export const devicesError = defineErrors<DevicesErrorCode>({
  [DevicesErrorCode.DeviceNotFound]: HttpStatus.NOT_FOUND,
  [DevicesErrorCode.DeviceLimitReached]: HttpStatus.CONFLICT,
});
