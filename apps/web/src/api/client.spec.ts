import { beforeEach, describe, expect, it, vi } from 'vitest';
import { aSession, apiError, installFakeFetch } from '@/testing/fake-fetch.js';
import { ApiClient, type TokenSource } from './client.js';
import { ApiError } from './errors.js';

describe(ApiClient.name, () => {
  let fake: ReturnType<typeof installFakeFetch>;
  let sut: ApiClient;

  beforeEach(() => {
    fake = installFakeFetch();
    sut = new ApiClient();
  });

  function tokens(
    initial: string | null,
    refreshed: string | null,
  ): TokenSource & { refresh: ReturnType<typeof vi.fn> } {
    let token = initial;
    return {
      accessToken: () => token,
      refresh: vi.fn(async () => {
        if (!refreshed) return false;
        token = refreshed;
        return true;
      }),
    };
  }

  it('maps an error body to an ApiError with code, status and correlation id', async () => {
    fake.on('POST /auth/register', apiError(409, 'HANDLE_TAKEN', 'Handle is taken'));

    const error = await sut.register({ handle: 'alice', password: 'correct horse' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 409,
      code: 'HANDLE_TAKEN',
      message: 'Handle is taken',
      correlationId: 'corr-1',
    });
  });

  it('reports a failed connection as NETWORK_ERROR', async () => {
    fake.on('GET /pairs', new TypeError('Failed to fetch'));

    await expect(sut.listPairs()).rejects.toMatchObject({ status: 0, code: 'NETWORK_ERROR' });
  });

  it('reports a body without a code as BAD_RESPONSE with the status', async () => {
    fake.on('GET /devices', () => ({ status: 502 }));

    await expect(sut.listDevices()).rejects.toMatchObject({ status: 502, code: 'BAD_RESPONSE' });
  });

  it('keeps the Retry-After seconds of a rate limit', async () => {
    fake.on('POST /auth/login', { ...apiError(429, 'RATE_LIMITED'), headers: { 'Retry-After': '42' } });

    await expect(sut.login({ handle: 'alice', password: 'x' })).rejects.toMatchObject({ retryAfterSeconds: 42 });
  });

  it('sends JSON with the bearer token and resolves 204 as undefined', async () => {
    sut.useTokens(tokens('token-1', null));
    fake.on('POST /blocks', { status: 204 });

    await expect(sut.block({ userId: 'u-1' })).resolves.toBeUndefined();
    expect(fake.calls[0]).toEqual({
      method: 'POST',
      path: '/blocks',
      body: { userId: 'u-1' },
      authorization: 'Bearer token-1',
    });
  });

  it('does not send the token to the auth endpoints', async () => {
    sut.useTokens(tokens('token-1', null));
    fake.on('POST /auth/login', { status: 200, body: aSession() });

    await sut.login({ handle: 'alice', password: 'correct horse' });

    expect(fake.calls[0]?.authorization).toBeNull();
  });

  it('escapes ids in paths', async () => {
    fake.on('DELETE /pairs/a%2Fb', { status: 204 });

    await sut.deletePair('a/b');

    expect(fake.calls[0]?.path).toBe('/pairs/a%2Fb');
  });

  it('refreshes once on 401 and retries with the new token', async () => {
    const source = tokens('old', 'new');
    sut.useTokens(source);
    fake.on('GET /pairs', (call) =>
      call.authorization === 'Bearer new' ? { status: 200, body: [] } : apiError(401, 'UNAUTHORIZED'),
    );

    await expect(sut.listPairs()).resolves.toEqual([]);
    expect(source.refresh).toHaveBeenCalledTimes(1);
    expect(fake.callsTo('GET /pairs').map((call) => call.authorization)).toEqual(['Bearer old', 'Bearer new']);
  });

  it('gives up with the 401 when the refresh fails', async () => {
    sut.useTokens(tokens('old', null));
    fake.on('GET /me', apiError(401, 'UNAUTHORIZED'));

    await expect(sut.me()).rejects.toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    expect(fake.callsTo('GET /me')).toHaveLength(1);
  });

  it('retries without refreshing when the token changed while the request was in flight', async () => {
    let token = 'old';
    const refresh = vi.fn(async () => true);
    sut.useTokens({ accessToken: () => token, refresh });
    fake.on('GET /pairs', (call) => {
      if (call.authorization === 'Bearer old') {
        token = 'rotated-elsewhere';
        return apiError(401, 'UNAUTHORIZED');
      }
      return { status: 200, body: [] };
    });

    await sut.listPairs();

    expect(refresh).not.toHaveBeenCalled();
    expect(fake.callsTo('GET /pairs')[1]?.authorization).toBe('Bearer rotated-elsewhere');
  });

  it('retries at most once', async () => {
    const source = tokens('old', 'new');
    sut.useTokens(source);
    fake.on('GET /devices', apiError(401, 'UNAUTHORIZED'));

    await expect(sut.listDevices()).rejects.toMatchObject({ status: 401 });
    expect(fake.callsTo('GET /devices')).toHaveLength(2);
    expect(source.refresh).toHaveBeenCalledTimes(1);
  });
});
