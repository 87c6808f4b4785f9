import type { DeviceDto } from './devices.js';

/** Handle rules: 3-32 chars, lowercase letters, digits, `_` and `.`, starts with a letter. */
export const HANDLE_MIN_LENGTH = 3;
export const HANDLE_MAX_LENGTH = 32;
export const HANDLE_PATTERN = /^[a-z][a-z0-9_.]{2,31}$/;

/** Password rules: 10-128 characters (Unicode code points), not the handle, not one repeated character. */
export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 128;

export type HandleProblem = 'TOO_SHORT' | 'TOO_LONG' | 'MUST_START_WITH_LETTER' | 'INVALID_CHARACTERS';
export type PasswordProblem = 'TOO_SHORT' | 'TOO_LONG' | 'SAME_AS_HANDLE' | 'ONE_CHARACTER';

/** Handles are stored lowercased; input is lowercased before validation. */
export function normalizeHandle(input: string): string {
  return input.toLowerCase();
}

/** Checks an already normalized handle. Returns the first problem, or null when it is valid. */
export function checkHandle(handle: string): HandleProblem | null {
  if (handle.length < HANDLE_MIN_LENGTH) return 'TOO_SHORT';
  if (handle.length > HANDLE_MAX_LENGTH) return 'TOO_LONG';
  if (!/^[a-z]/.test(handle)) return 'MUST_START_WITH_LETTER';
  if (!HANDLE_PATTERN.test(handle)) return 'INVALID_CHARACTERS';
  return null;
}

/**
 * Checks a password against its (normalized) handle. Length counts code points, so an emoji is
 * one character. Returns the first problem, or null when it is acceptable.
 */
export function checkPassword(password: string, handle: string): PasswordProblem | null {
  const chars = Array.from(password);
  if (chars.length < PASSWORD_MIN_LENGTH) return 'TOO_SHORT';
  if (chars.length > PASSWORD_MAX_LENGTH) return 'TOO_LONG';
  if (password.toLowerCase() === normalizeHandle(handle)) return 'SAME_AS_HANDLE';
  if (chars.every((c) => c === chars[0])) return 'ONE_CHARACTER';
  return null;
}

export interface UserDto {
  id: string;
  handle: string;
  createdAt: string;
}

/** POST /auth/register */
export interface RegisterRequestDto {
  handle: string;
  password: string;
}

/** POST /auth/login. Without `deviceId` a new device is registered. */
export interface LoginRequestDto {
  handle: string;
  password: string;
  deviceName?: string;
  deviceId?: string;
  registrationId?: number;
}

/** POST /auth/refresh */
export interface RefreshRequestDto {
  refreshToken: string;
}

/** Answer of login and refresh. */
export interface SessionDto {
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
  user: UserDto;
  device: DeviceDto;
}

/** GET /me */
export interface MeDto extends UserDto {
  device: DeviceDto;
}
