/**
 * The main entry point must stay browser-safe: nothing reachable from src/index.ts may import a
 * Node built-in or libsignal-client (those belong to the `native` subpath only).
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const SRC = resolve(import.meta.dirname, '../../src');
const IMPORT_RE = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function walk(file: string, seen: Set<string>, external: Set<string>): void {
  if (seen.has(file)) return;
  seen.add(file);
  const code = readFileSync(file, 'utf8');
  for (const m of code.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2];
    if (spec.startsWith('.')) walk(join(dirname(file), spec.replace(/\.js$/, '.ts')), seen, external);
    else external.add(spec);
  }
}

describe('browser safety of @pairchat/crypto', () => {
  it('imports only @noble/* and @bufbuild/protobuf from the main entry point', () => {
    const seen = new Set<string>();
    const external = new Set<string>();
    walk(join(SRC, 'index.ts'), seen, external);
    expect(seen.size).toBeGreaterThan(15);
    expect([...seen].some((f) => f.includes('/native/'))).toBe(false);
    for (const spec of external)
      expect(spec).toMatch(/^@noble\/(curves|hashes|ciphers|post-quantum)\/|^@bufbuild\/protobuf\/wire$/);
  });
});
