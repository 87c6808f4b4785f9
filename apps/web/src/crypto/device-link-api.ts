import type {
  DeviceLinkCompleteRequestDto,
  DeviceLinkCreatedDto,
  DeviceLinkDto,
  DeviceLinkSealedDto,
} from '@pairchat/messaging';
import { DEVICE_LINK_ERROR_CODES } from '@pairchat/messaging';
import type { ApiClient } from '../api/client.js';
import { isApiError } from '../api/errors.js';
import { DeviceLinkError } from './device-link-code.js';

/** The linking endpoints (`/devices/links`). */
export interface DeviceLinkApi {
  /** Opens a link for this device; nothing of the code but the token comes from or goes to the server. */
  create(): Promise<DeviceLinkCreatedDto>;
  get(linkId: string): Promise<DeviceLinkDto>;
  complete(linkId: string, body: DeviceLinkCompleteRequestDto): Promise<DeviceLinkDto>;
  remove(linkId: string): Promise<void>;
}

export function createDeviceLinkApi(client: ApiClient): DeviceLinkApi {
  const path = (linkId: string) => `/devices/links/${encodeURIComponent(linkId)}`;
  return {
    create: () => client.send<DeviceLinkCreatedDto>('POST', '/devices/links'),
    get: (linkId) => client.send<DeviceLinkDto>('GET', path(linkId)),
    complete: (linkId, body) => client.send<DeviceLinkDto>('POST', `${path(linkId)}/complete`, { body }),
    remove: (linkId) => client.send<void>('DELETE', path(linkId)),
  };
}

/** What to tell the user when a linking call fails, or null for errors that are not about the link. */
export function describeLinkError(error: unknown): string | null {
  // From the worker, a DeviceLinkError arrives as an EngineError named after it.
  if (error instanceof DeviceLinkError || (error instanceof Error && error.name === 'DeviceLinkError')) {
    return `That did not work: ${(error as Error).message}.`;
  }
  if (isApiError(error, DEVICE_LINK_ERROR_CODES.alreadyUsed))
    return 'This code was already used. Show a new code on the new device.';
  if (isApiError(error, DEVICE_LINK_ERROR_CODES.expired))
    return 'This code has expired. Show a new code on the new device.';
  if (isApiError(error, DEVICE_LINK_ERROR_CODES.notFound))
    return 'No device of your account is waiting for this code. Check that both devices are signed in to the same account.';
  if (isApiError(error, DEVICE_LINK_ERROR_CODES.tokenInvalid))
    return 'This code is not valid. Copy it again from the new device.';
  if (isApiError(error, DEVICE_LINK_ERROR_CODES.ownDevice))
    return 'Enter this code on another device of yours, not on this one.';
  if (isApiError(error, DEVICE_LINK_ERROR_CODES.rateLimited))
    return 'Too many codes were made on this device. Wait a few minutes and try again.';
  return null;
}

export interface WaitOptions {
  /** How often to ask the server; the socket event only makes the next ask come sooner. */
  pollMs?: number;
  signal?: AbortSignal;
  /** Resolves early when called (wire it to `device:link-completed`). */
  wake?: (listener: () => void) => () => void;
}

/** Polls link `linkId` of this device until it is completed; rejects with a DeviceLinkError when it expires. */
export async function waitForSealedIdentity(
  api: DeviceLinkApi,
  linkId: string,
  { pollMs = 2000, signal, wake }: WaitOptions = {},
): Promise<DeviceLinkSealedDto> {
  for (;;) {
    signal?.throwIfAborted();
    const link = await api.get(linkId);
    if (link.status === 'completed' && link.sealed) return link.sealed;
    if (link.status === 'expired') throw new DeviceLinkError('the code expired before another device used it');
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        unsubscribe?.();
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, pollMs);
      const unsubscribe = wake?.(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
