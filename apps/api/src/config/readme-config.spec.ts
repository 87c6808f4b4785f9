import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { envFields } from './env.schema.js';

describe('README configuration table', () => {
  it('lists exactly the variables the api reads', () => {
    const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');
    const section = readme.split('## Configuration')[1].split('\n## ')[0];
    const documented = [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]).sort();
    const read = Object.keys(envFields.shape).sort();
    expect(documented).toEqual(read);
  });
});
