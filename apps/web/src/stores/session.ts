import { acceptHMRUpdate, defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import {
  DEFAULT_DEVICE_NAME,
  normalizeHandle,
  type DeviceDto,
  type LoginRequestDto,
  type SessionDto,
  type UserDto,
} from '@pairchat/messaging';
import { api, isApiError } from '@/api/index.js';
import { safeStorage, withTabLock } from '@/utils/storage.js';

/**
 * Storage keys. The refresh token lives in localStorage so a reload or a new tab keeps the user
 * signed in. Trade-off: script running in this origin (an XSS) could read it, while an httpOnly
 * cookie would hide it. We accept that because any XSS in an end-to-end-encrypted client already
 * reaches the keys and the plaintext in this origin, so the cookie buys little here; what limits
 * the damage is that refresh tokens rotate, a stolen-and-replayed token trips reuse detection
 * (REFRESH_TOKEN_REUSED revokes the whole family), the access token stays in memory only, and
 * the app ships a strict Content-Security-Policy-friendly build (no inline scripts, no eval).
 */
export const REFRESH_TOKEN_KEY = 'pairchat.refreshToken';
/** Device ids this browser registered, per handle, so signing in again reuses the device. */
export const DEVICES_KEY = 'pairchat.devices';

/** Why the session ended without the user asking; shown on the login page. */
export type SignedOutReason = 'expired' | 'reused' | 'revoked';
export type SessionStatus = 'unknown' | 'anonymous' | 'authenticated';

export interface LoginInput {
  handle: string;
  password: string;
  /** Used only when this browser has no device for the handle yet. */
  deviceName?: string;
}

function readDevices(): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(safeStorage.get(DEVICES_KEY) ?? '{}');
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
  } catch {
    return {};
  }
}

function writeDevice(handle: string, deviceId: string | null): void {
  const devices = readDevices();
  if (deviceId) devices[handle] = deviceId;
  else delete devices[handle];
  safeStorage.set(DEVICES_KEY, JSON.stringify(devices));
}

/**
 * The signed-in user, their current device and the tokens.
 *
 * - The access token is kept in memory only; the refresh token in localStorage (see above).
 * - A 401 from any api call triggers one refresh and one retry (see ApiClient.send); concurrent
 *   401s share a single refresh, and tabs serialise refreshes with a Web Lock so two tabs never
 *   spend the same rotating token.
 * - REFRESH_TOKEN_REUSED, an expired refresh token or a revoked device end the session and set
 *   {@link signedOutReason}.
 */
export const useSessionStore = defineStore('session', () => {
  const accessToken = shallowRef<string | null>(null);
  const accessTokenExpiresAt = ref<string | null>(null);
  const user = ref<UserDto | null>(null);
  const device = ref<DeviceDto | null>(null);
  const status = ref<SessionStatus>('unknown');
  const signedOutReason = ref<SignedOutReason | null>(null);

  const isAuthenticated = computed(() => status.value === 'authenticated');

  let refreshing: Promise<void> | null = null;
  let restoring: Promise<void> | null = null;

  api.useTokens({
    accessToken: () => accessToken.value,
    refresh: () =>
      refresh().then(
        () => true,
        () => false,
      ),
  });

  function apply(session: SessionDto): void {
    accessToken.value = session.accessToken;
    accessTokenExpiresAt.value = session.accessTokenExpiresAt;
    user.value = session.user;
    device.value = session.device;
    safeStorage.set(REFRESH_TOKEN_KEY, session.refreshToken);
    writeDevice(session.user.handle, session.device.id);
    status.value = 'authenticated';
    signedOutReason.value = null;
  }

  /** Forgets the session in this tab (and the stored refresh token). Keeps remembered devices. */
  function end(reason: SignedOutReason | null = null): void {
    accessToken.value = null;
    accessTokenExpiresAt.value = null;
    user.value = null;
    device.value = null;
    safeStorage.remove(REFRESH_TOKEN_KEY);
    status.value = 'anonymous';
    signedOutReason.value = reason;
  }

  /** True when this browser already has a device for the handle (the login form hides the name). */
  function hasRememberedDevice(handle: string): boolean {
    return Boolean(readDevices()[normalizeHandle(handle.trim())]);
  }

  /** Creates the account. Does not sign in. */
  async function register(handle: string, password: string): Promise<UserDto> {
    return api.register({ handle: normalizeHandle(handle.trim()), password });
  }

  /**
   * Signs in, reusing this browser's device for the handle when it has one. If that device was
   * revoked meanwhile (DEVICE_NOT_FOUND) it is forgotten and a new device is registered.
   */
  async function login({ handle, password, deviceName }: LoginInput): Promise<void> {
    const normalized = normalizeHandle(handle.trim());
    const deviceId = readDevices()[normalized];
    const fresh: LoginRequestDto = {
      handle: normalized,
      password,
      deviceName: deviceName?.trim() || DEFAULT_DEVICE_NAME,
    };
    try {
      apply(await api.login(deviceId ? { handle: normalized, password, deviceId } : fresh));
    } catch (error) {
      if (!deviceId || !isApiError(error, 'DEVICE_NOT_FOUND')) throw error;
      writeDevice(normalized, null);
      apply(await api.login(fresh));
    }
  }

  /** Exchanges the stored refresh token for a new session. Single-flight within and across tabs. */
  function refresh(): Promise<void> {
    refreshing ??= withTabLock('pairchat.session.refresh', runRefresh).finally(() => {
      refreshing = null;
    });
    return refreshing;
  }

  async function runRefresh(): Promise<void> {
    // Read inside the lock: another tab may have rotated the token while we waited.
    const refreshToken = safeStorage.get(REFRESH_TOKEN_KEY);
    if (!refreshToken) {
      end(status.value === 'authenticated' ? 'expired' : null);
      throw new Error('No refresh token');
    }
    try {
      apply(await api.refresh({ refreshToken }));
    } catch (error) {
      if (isApiError(error, 'REFRESH_TOKEN_REUSED')) end('reused');
      else if (isApiError(error) && error.status === 401) end('expired');
      throw error;
    }
  }

  /**
   * Resolves the session once at start-up: with a stored refresh token it signs in silently,
   * otherwise the user is anonymous. Network failures leave the stored token for the next load.
   */
  function restore(): Promise<void> {
    if (status.value !== 'unknown') return Promise.resolve();
    restoring ??= (async () => {
      if (!safeStorage.get(REFRESH_TOKEN_KEY)) {
        status.value = 'anonymous';
        return;
      }
      try {
        await refresh();
      } catch {
        if (status.value === 'unknown') status.value = 'anonymous';
      }
    })().finally(() => {
      restoring = null;
    });
    return restoring;
  }

  /** Signs out: the server revokes this device's refresh tokens; the device itself stays. */
  async function logout(): Promise<void> {
    try {
      if (accessToken.value) await api.logout();
    } catch {
      // Signing out locally must work offline too; the refresh token is dropped either way.
    } finally {
      end(null);
    }
  }

  /**
   * Ends the session after this device was revoked; the device id is forgotten too.
   * @param reason - `revoked` when it happened elsewhere (the login page says so); none when the user removed it here
   */
  function endRevoked(reason: Extract<SignedOutReason, 'revoked'> | null = null): void {
    if (user.value) writeDevice(user.value.handle, null);
    end(reason);
  }

  /** Keeps the current device in sync after a rename. */
  function updateDevice(updated: DeviceDto): void {
    if (device.value?.id === updated.id) device.value = { ...updated, current: true };
  }

  return {
    accessToken,
    accessTokenExpiresAt,
    user,
    device,
    status,
    signedOutReason,
    isAuthenticated,
    hasRememberedDevice,
    register,
    login,
    refresh,
    restore,
    logout,
    end,
    endRevoked,
    updateDevice,
  };
});

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useSessionStore, import.meta.hot));
