import { describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateVectors } from './generate-vectors.js';

// Writes the vector files only when asked; otherwise checks that generation still succeeds
// (the reference still accepts everything the generator cross-checks).
describe('vector generator', () => {
  it('produces vectors accepted by libsignal', async () => {
    const v = await generateVectors();
    expect(v.xeddsa.length).toBe(8);
    expect(v.kyber.length).toBe(2);
    expect(v.kyberEncaps.length).toBe(2);
    if (process.env.GENERATE_VECTORS === '1') {
      writeFileSync(join(import.meta.dirname, 'xeddsa.json'), JSON.stringify(v.xeddsa, null, 1) + '\n');
      writeFileSync(join(import.meta.dirname, 'ratchet-kdf.json'), JSON.stringify(v.kdf, null, 1) + '\n');
      writeFileSync(join(import.meta.dirname, 'kyber1024-r3.json'), JSON.stringify(v.kyber, null, 1) + '\n');
      writeFileSync(
        join(import.meta.dirname, 'kyber1024-r3-encaps.json'),
        JSON.stringify(v.kyberEncaps, null, 1) + '\n',
      );
    }
  });
});
