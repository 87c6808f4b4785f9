import { createEngineHost, type EngineHostOptions } from './engine-host.js';
import type { EngineRequest } from './engine-protocol.js';
import type { WorkerLike } from './engine-client.js';

type Listener = (event: never) => void;

/**
 * A worker stand-in for tests: runs the real engine host in this thread, copying every message with
 * structuredClone as postMessage does, and delivering it asynchronously.
 */
export function fakeEngineWorker(options: EngineHostOptions = {}) {
  const listeners = new Map<string, Listener[]>();
  const sent: EngineRequest[] = [];
  let terminated = false;
  const emit = (type: string, event: unknown) => {
    for (const listener of listeners.get(type) ?? []) (listener as (event: unknown) => void)(event);
  };
  const host = createEngineHost((response) => {
    if (terminated) return;
    const copy = structuredClone(response);
    queueMicrotask(() => emit('message', { data: copy }));
  }, options);

  const worker: WorkerLike = {
    postMessage(message) {
      if (terminated) return;
      const copy = structuredClone(message);
      sent.push(copy);
      queueMicrotask(() => host(copy));
    },
    addEventListener(type: string, listener: Listener) {
      listeners.set(type, [...(listeners.get(type) ?? []), listener]);
    },
    terminate() {
      terminated = true;
    },
  };
  return {
    worker,
    sent,
    /** Delivers a raw message to the page, as a misbehaving worker would. */
    deliver: (data: unknown) => emit('message', { data }),
    /** Fires the worker's `error` event (script failed to load, uncaught exception). */
    crash: () => emit('error', new Event('error')),
    get terminated() {
      return terminated;
    },
  };
}
