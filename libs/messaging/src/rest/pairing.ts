import type { UserDto } from './auth.js';

export interface PairRequestDto {
  id: string;
  from: UserDto;
  to: UserDto;
  status: 'pending';
  createdAt: string;
}

export interface PairDto {
  id: string;
  /** The other person. */
  user: UserDto;
  createdAt: string;
  /** True when I blocked them. */
  blocked: boolean;
}

/** POST /pairs/requests */
export interface PairRequestCreateDto {
  handle: string;
}

/**
 * Answer of POST /pairs/requests: `request` when a request was created, `pair` when the other
 * user had already asked me and their request was accepted instead.
 */
export interface PairRequestCreateResultDto {
  request?: PairRequestDto;
  pair?: PairDto;
}

/** GET /pairs/requests */
export interface PairRequestListDto {
  incoming: PairRequestDto[];
  outgoing: PairRequestDto[];
}

/** POST /blocks */
export interface BlockCreateDto {
  userId: string;
}
