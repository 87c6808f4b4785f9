/**
 * The crypto worker: runs the TypeScript Signal engine and this device's encrypted IndexedDB stores
 * off the page's thread, so key generation (hundreds of Kyber keys) never freezes the UI.
 * Start it with `createEngineWorker()` from `engine-client.ts`.
 * @module
 */
import { createEngineHost } from './engine-host.js';
import type { EngineResponse } from './engine-protocol.js';

/** The parts of `DedicatedWorkerGlobalScope` used here (the app's type check uses the DOM lib). */
interface WorkerScope {
  postMessage(message: EngineResponse): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<unknown>) => void): void;
}

const scope = globalThis as unknown as WorkerScope;
const handle = createEngineHost((response) => scope.postMessage(response));
scope.addEventListener('message', (event) => handle(event.data));
