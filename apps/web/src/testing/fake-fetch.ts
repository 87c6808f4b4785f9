import type { DeviceDto, PairDto, PairRequestDto, SessionDto, UserDto } from '@pairchat/messaging';
import { vi } from 'vitest';

export interface FakeCall {
  method: string;
  path: string;
  body: unknown;
  authorization: string | null;
}

type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | Error;
type Handler = (call: FakeCall) => Reply | Promise<Reply>;

/**
 * A fetch fake that routes by "METHOD /path". Unrouted calls answer 500 so a test never passes
 * on a request it did not expect. Installs itself as the global fetch.
 */
export function installFakeFetch() {
  const routes = new Map<string, Handler[]>();
  const calls: FakeCall[] = [];

  const fetch = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), 'http://pairchat.test');
    const headers = new Headers(init.headers);
    const call: FakeCall = {
      method: init.method ?? 'GET',
      path: url.pathname,
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
      authorization: headers.get('Authorization'),
    };
    calls.push(call);
    const queue = routes.get(`${call.method} ${call.path}`);
    const handler = queue && (queue.length > 1 ? queue.shift() : queue[0]);
    const reply = handler
      ? await handler(call)
      : { status: 500, body: { code: 'INTERNAL_ERROR', message: 'unrouted' } };
    if (reply instanceof Error) throw reply;
    return new Response(reply.body === undefined ? null : JSON.stringify(reply.body), {
      status: reply.status,
      headers: { 'Content-Type': 'application/json', ...reply.headers },
    });
  });
  vi.stubGlobal('fetch', fetch);

  return {
    fetch,
    calls,
    /** Adds an answer for "METHOD /path". Several answers are used in order, the last one repeats. */
    on(route: string, reply: Reply | Handler) {
      const handler: Handler = typeof reply === 'function' ? reply : () => reply;
      routes.set(route, [...(routes.get(route) ?? []), handler]);
      return this;
    },
    callsTo(route: string) {
      return calls.filter((call) => `${call.method} ${call.path}` === route);
    },
  };
}

export function apiError(status: number, code: string, message = code) {
  return { status, body: { statusCode: status, code, message, correlationId: 'corr-1' } };
}

let sequence = 0;
const uuid = () => `00000000-0000-4000-8000-${String(++sequence).padStart(12, '0')}`;

export function aUser(handle = 'alice', overrides: Partial<UserDto> = {}): UserDto {
  return { id: uuid(), handle, createdAt: '2026-11-25T10:00:00.000Z', ...overrides };
}

export function aDevice(overrides: Partial<DeviceDto> = {}): DeviceDto {
  return {
    id: uuid(),
    name: 'Web browser',
    registrationId: null,
    createdAt: '2026-11-25T10:00:00.000Z',
    lastSeenAt: '2026-11-25T11:00:00.000Z',
    current: true,
    ...overrides,
  };
}

export function aSession(overrides: Partial<SessionDto> = {}): SessionDto {
  return {
    accessToken: `access-${++sequence}`,
    accessTokenExpiresAt: '2026-11-25T12:00:00.000Z',
    refreshToken: `refresh-${++sequence}`,
    user: aUser(),
    device: aDevice(),
    ...overrides,
  };
}

export function aPairRequest(from: UserDto, to: UserDto): PairRequestDto {
  return { id: uuid(), from, to, status: 'pending', createdAt: '2026-11-25T10:30:00.000Z' };
}

export function aPair(user: UserDto, overrides: Partial<PairDto> = {}): PairDto {
  return { id: uuid(), user, createdAt: '2026-11-25T10:45:00.000Z', blocked: false, ...overrides };
}
