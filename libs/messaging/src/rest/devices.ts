export const DEVICE_NAME_MIN_LENGTH = 1;
export const DEVICE_NAME_MAX_LENGTH = 64;
/** Signal registration ids are 14-bit, 0 is reserved. */
export const REGISTRATION_ID_MIN = 1;
export const REGISTRATION_ID_MAX = 16380;
/** Name a device gets when login does not send one. */
export const DEFAULT_DEVICE_NAME = 'Web browser';

export interface DeviceDto {
  id: string;
  name: string;
  registrationId: number | null;
  createdAt: string;
  lastSeenAt: string;
  /** True for the device the request was made with. */
  current: boolean;
}

/** PATCH /devices/:id (registrationId only on the current device). */
export interface DeviceUpdateRequestDto {
  name?: string;
  registrationId?: number;
}
