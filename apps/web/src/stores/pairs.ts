import { acceptHMRUpdate, defineStore } from 'pinia';
import { ref, watch } from 'vue';
import type { PairDto, PairRequestDto, UserDto } from '@pairchat/messaging';
import { api } from '@/api/index.js';
import { removeById, upsertById } from '@/utils/collections.js';
import { useSessionStore } from './session.js';

export type LoadState = 'idle' | 'loading' | 'error' | 'done';

/** Outcome of asking someone to pair: a new pending request, or an instant pair. */
export type PairAskResult = { kind: 'requested'; request: PairRequestDto } | { kind: 'paired'; pair: PairDto };

/**
 * The people I am paired with, open pair requests both ways and the people I blocked.
 * Changes are applied in place, deduplicated by id, so live events can feed the same lists.
 * Cleared whenever the signed-in user changes.
 */
export const usePairsStore = defineStore('pairs', () => {
  const session = useSessionStore();

  const pairs = ref<PairDto[]>([]);
  const incoming = ref<PairRequestDto[]>([]);
  const outgoing = ref<PairRequestDto[]>([]);
  const blocked = ref<UserDto[]>([]);
  const state = ref<LoadState>('idle');
  const error = ref<unknown>(null);

  function reset(): void {
    pairs.value = [];
    incoming.value = [];
    outgoing.value = [];
    blocked.value = [];
    state.value = 'idle';
    error.value = null;
  }

  watch(() => session.user?.id, reset);

  /** Loads everything; keeps the old lists visible while reloading. */
  async function load(): Promise<void> {
    state.value = 'loading';
    error.value = null;
    try {
      const [pairList, requests, blocks] = await Promise.all([
        api.listPairs(),
        api.listPairRequests(),
        api.listBlocks(),
      ]);
      pairs.value = pairList;
      incoming.value = requests.incoming;
      outgoing.value = requests.outgoing;
      blocked.value = blocks;
      state.value = 'done';
    } catch (caught) {
      error.value = caught;
      state.value = 'error';
    }
  }

  async function ask(handle: string): Promise<PairAskResult> {
    const result = await api.createPairRequest({ handle: handle.trim().toLowerCase() });
    if (result.pair) {
      const pair = result.pair;
      pairs.value = upsertById(pairs.value, pair);
      incoming.value = incoming.value.filter((request) => request.from.id !== pair.user.id);
      return { kind: 'paired', pair };
    }
    if (result.request) {
      outgoing.value = upsertById(outgoing.value, result.request);
      return { kind: 'requested', request: result.request };
    }
    throw new TypeError('Pair request answer has neither request nor pair');
  }

  async function accept(requestId: string): Promise<PairDto> {
    const pair = await api.acceptPairRequest(requestId);
    incoming.value = removeById(incoming.value, requestId);
    pairs.value = upsertById(pairs.value, pair);
    return pair;
  }

  async function decline(requestId: string): Promise<void> {
    await api.declinePairRequest(requestId);
    incoming.value = removeById(incoming.value, requestId);
  }

  async function cancel(requestId: string): Promise<void> {
    await api.cancelPairRequest(requestId);
    outgoing.value = removeById(outgoing.value, requestId);
  }

  async function unpair(pairId: string): Promise<void> {
    await api.deletePair(pairId);
    pairs.value = removeById(pairs.value, pairId);
  }

  async function block(user: UserDto): Promise<void> {
    await api.block({ userId: user.id });
    pairs.value = pairs.value.map((pair) => (pair.user.id === user.id ? { ...pair, blocked: true } : pair));
    blocked.value = upsertById(blocked.value, user);
  }

  async function unblock(userId: string): Promise<void> {
    await api.unblock(userId);
    pairs.value = pairs.value.map((pair) => (pair.user.id === userId ? { ...pair, blocked: false } : pair));
    blocked.value = removeById(blocked.value, userId);
  }

  return {
    pairs,
    incoming,
    outgoing,
    blocked,
    state,
    error,
    load,
    ask,
    accept,
    decline,
    cancel,
    unpair,
    block,
    unblock,
    reset,
  };
});

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(usePairsStore, import.meta.hot));
