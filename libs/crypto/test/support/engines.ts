import type { ProtocolEngine } from '../../src/engine.js';
import { tsEngine } from '../../src/index.js';
import { nativeEngine } from '../../src/native/index.js';

export const ENGINES: readonly ProtocolEngine[] = [nativeEngine, tsEngine];

/** {native, ts} × {native, ts}: [initiator, responder]. */
export const MATRIX: readonly (readonly [ProtocolEngine, ProtocolEngine])[] = ENGINES.flatMap((a) =>
  ENGINES.map((b) => [a, b] as const),
);

export const ALICE = '9d0652a3-dcc3-4d11-975f-74d61598733f';
export const BOB = '796abedb-ca4e-4f18-8803-1fde5b921f9f';
export const MALLORY = 'PNI:3f0f5b2e-7d1c-4b7e-9a55-0c4f1c2b9e11';
