import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { IdentityKeyPair, tsEngine } from '@pairchat/crypto';
import { KeyManager, type KeyManagerState } from '@pairchat/keys';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { inMemoryStores, type InMemoryStores } from '../../../libs/crypto/test/support/memory-stores.js';
import { decodePreKeyRecord, decodeSignedPreKeyRecord } from '../../../libs/crypto/src/proto/storage.js';
import { createTestApp, describeE2E, TestApp } from './utils/test-app.js';
import { createUser } from './utils/users.js';

/** Every private key a device made: identity, signed, last-resort and one-time prekeys. */
function privateKeys(stores: InMemoryStores, identity: Uint8Array): Buffer[] {
  return [
    Buffer.from(IdentityKeyPair.deserialize(identity).privateKey.serialize()),
    ...[...stores.preKey.records.values()].map((r) => Buffer.from(decodePreKeyRecord(r).privateKey)),
    ...[...stores.signedPreKey.records.values()].map((r) => Buffer.from(decodeSignedPreKeyRecord(r).privateKey)),
    ...[...stores.kyberPreKey.records.values()].map((r) => Buffer.from(decodeSignedPreKeyRecord(r).privateKey)),
  ];
}

describeE2E('no private key reaches the key directory', () => {
  let sut: TestApp;
  let secrets: Buffer[];

  beforeAll(async () => {
    sut = await createTestApp();
    const alice = await createUser(sut, 'alice');
    const { identityKeyPair, registrationId } = await KeyManager.createIdentity(tsEngine);
    const stores = inMemoryStores(identityKeyPair, registrationId);
    let state: KeyManagerState | null = null;
    const manager = new KeyManager({
      engine: tsEngine,
      stores,
      state: { load: async () => state, save: async (s) => void (state = s) },
    });
    await request(sut.http)
      .put('/keys')
      .set('Authorization', alice.bearer)
      .send(await manager.initialUpload())
      .expect(200);
    secrets = privateKeys(stores, identityKeyPair);
  });
  afterAll(() => sut.close());

  it('has no private or secret field anywhere in the API schema', async () => {
    const doc = (await request(sut.http).get('/api/docs-json').expect(200)).body;
    const names: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(walk);
      if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === 'properties' && value && typeof value === 'object') names.push(...Object.keys(value));
          walk(value);
        }
      }
    };
    walk(doc.components?.schemas ?? {});
    expect(names).toContain('identityKey');
    expect(names.filter((n) => /private|secret/i.test(n))).toEqual([]);
  });

  it('has no private or secret column, and no private key bytes in any table', async () => {
    const db = sut.app.get(DataSource);
    expect(secrets.length).toBeGreaterThan(200);
    const tables: string[] = (
      db.options.type === 'mysql'
        ? await db.query('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()')
        : await db.query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
    ).map((r: { name?: string; NAME?: string; TABLE_NAME?: string }) => r.name ?? r.NAME ?? r.TABLE_NAME);
    expect(tables).toEqual(expect.arrayContaining(['identity_keys', 'signed_prekeys', 'kyber_prekeys', 'ec_prekeys']));
    const secretForms = secrets.flatMap((s) => [s, Buffer.from(s.toString('base64')), Buffer.from(s.toString('hex'))]);
    let cells = 0;
    for (const table of tables) {
      const quote = db.options.type === 'mysql' ? '`' : '"';
      const rows: Record<string, unknown>[] = await db.query(`SELECT * FROM ${quote}${table}${quote}`);
      for (const row of rows) {
        for (const [column, value] of Object.entries(row)) {
          expect(column).not.toMatch(/private|secret/i);
          if (value === null || value === undefined) continue;
          const bytes = Buffer.isBuffer(value) ? value : Buffer.from(String(value));
          cells++;
          for (const secret of secretForms) {
            if (bytes.includes(secret)) throw new Error(`a private key was found in ${table}.${column}`);
          }
        }
      }
    }
    expect(cells).toBeGreaterThan(200);
  });
});
