import type {
  ApiErrorDto,
  BlockCreateDto,
  DeviceDto,
  DeviceUpdateRequestDto,
  LoginRequestDto,
  MeDto,
  PairDto,
  PairRequestCreateDto,
  PairRequestCreateResultDto,
  PairRequestDto,
  PairRequestListDto,
  RefreshRequestDto,
  RegisterRequestDto,
  SessionDto,
  UserDto,
} from '@pairchat/messaging';
import { ApiError } from './errors.js';

/** Where the client gets its bearer token, and how it recovers from a 401. */
export interface TokenSource {
  accessToken(): string | null;
  /** Obtains a fresh access token; resolves false when the session is over. */
  refresh(): Promise<boolean>;
}

export interface ApiClientOptions {
  /** Prefix for every path. Empty by default: the api serves the app, so URLs are relative. */
  baseUrl?: string;
  /** Defaults to the global fetch, looked up at call time. */
  fetch?: typeof fetch;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface SendOptions {
  body?: unknown;
  /** Sends the bearer token and refreshes once on 401. Default true. */
  auth?: boolean;
}

const id = (value: string) => encodeURIComponent(value);

/** Typed REST client for the contract in `.helpers/API-CONTRACT.md`. */
export class ApiClient {
  #tokens: TokenSource | null = null;

  constructor(private readonly options: ApiClientOptions = {}) {}

  useTokens(source: TokenSource | null): void {
    this.#tokens = source;
  }

  register = (body: RegisterRequestDto) => this.send<UserDto>('POST', '/auth/register', { body, auth: false });
  login = (body: LoginRequestDto) => this.send<SessionDto>('POST', '/auth/login', { body, auth: false });
  refresh = (body: RefreshRequestDto) => this.send<SessionDto>('POST', '/auth/refresh', { body, auth: false });
  logout = () => this.send<void>('POST', '/auth/logout', { body: {} });
  me = () => this.send<MeDto>('GET', '/me');

  listDevices = () => this.send<DeviceDto[]>('GET', '/devices');
  updateDevice = (deviceId: string, body: DeviceUpdateRequestDto) =>
    this.send<DeviceDto>('PATCH', `/devices/${id(deviceId)}`, { body });
  deleteDevice = (deviceId: string) => this.send<void>('DELETE', `/devices/${id(deviceId)}`);

  listPairs = () => this.send<PairDto[]>('GET', '/pairs');
  deletePair = (pairId: string) => this.send<void>('DELETE', `/pairs/${id(pairId)}`);
  listPairRequests = () => this.send<PairRequestListDto>('GET', '/pairs/requests');
  createPairRequest = (body: PairRequestCreateDto) =>
    this.send<PairRequestCreateResultDto>('POST', '/pairs/requests', { body });
  acceptPairRequest = (requestId: string) => this.send<PairDto>('POST', `/pairs/requests/${id(requestId)}/accept`);
  declinePairRequest = (requestId: string) => this.send<void>('POST', `/pairs/requests/${id(requestId)}/decline`);
  cancelPairRequest = (requestId: string) => this.send<void>('DELETE', `/pairs/requests/${id(requestId)}`);

  listBlocks = () => this.send<UserDto[]>('GET', '/blocks');
  block = (body: BlockCreateDto) => this.send<void>('POST', '/blocks', { body });
  unblock = (userId: string) => this.send<void>('DELETE', `/blocks/${id(userId)}`);

  /** A user's devices with keys (protocol device and registration ids); claims no prekeys. */
  listKeyDevices = (userId: string) => this.send<unknown>('GET', `/keys/${id(userId)}/devices`);

  /** One request; on a 401 it refreshes once (or reuses a token refreshed meanwhile) and retries. */
  async send<T>(method: Method, path: string, { body, auth = true }: SendOptions = {}): Promise<T> {
    const tokens = auth ? this.#tokens : null;
    const usedToken = tokens?.accessToken() ?? null;
    let response = await this.#fetch(method, path, body, usedToken);
    if (response.status === 401 && tokens) {
      const current = tokens.accessToken();
      const fresh = current !== null && current !== usedToken ? true : await tokens.refresh();
      if (fresh) response = await this.#fetch(method, path, body, tokens.accessToken());
    }
    return read<T>(response);
  }

  async #fetch(method: Method, path: string, body: unknown, token: string | null): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = `Bearer ${token}`;
    const doFetch = this.options.fetch ?? globalThis.fetch;
    try {
      return await doFetch(`${this.options.baseUrl ?? ''}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'same-origin',
      });
    } catch {
      throw new ApiError(0, 'NETWORK_ERROR', 'Network request failed');
    }
  }
}

async function read<T>(response: Response): Promise<T> {
  const text = await response.text().catch(() => '');
  let json: unknown = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  if (response.ok) {
    if (text && json === null) throw ApiError.fromBody(response.status, null);
    return (json ?? undefined) as T;
  }
  const retryAfter = Number(response.headers.get('Retry-After'));
  return Promise.reject(
    ApiError.fromBody(
      response.status,
      json as Partial<ApiErrorDto> | null,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
    ),
  );
}
