import { afterAll, beforeAll, expect, it } from '@jest/globals';
import request from 'supertest';
import { createTestApp, describeE2E, TestApp } from './utils/test-app.js';

interface Schema {
  $ref?: string;
  type?: string;
  items?: Schema;
  properties?: Record<string, Schema & { description?: string; example?: unknown }>;
  allOf?: Schema[];
  example?: unknown;
}
interface Operation {
  operationId?: string;
  summary?: string;
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}
type Document = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };

const DOCS_ROUTES = /^\/api\/docs/;

/** "METHOD /path/{param}" for every route Express knows, minus Swagger's own. */
function expressRoutes(sut: TestApp): string[] {
  const express = sut.app.getHttpAdapter().getInstance() as {
    router?: { stack: unknown[] };
    _router?: { stack: unknown[] };
  };
  const stack = (express.router ?? express._router)!.stack as {
    route?: { path: string; methods: Record<string, boolean> };
  }[];
  return stack
    .filter((layer) => layer.route && !DOCS_ROUTES.test(layer.route.path))
    .flatMap((layer) =>
      Object.keys(layer.route!.methods).map(
        (m) => `${m.toUpperCase()} ${layer.route!.path.replace(/:(\w+)/g, '{$1}')}`,
      ),
    );
}

describeE2E('OpenAPI document', () => {
  let sut: TestApp;
  let doc: Document;
  beforeAll(async () => {
    sut = await createTestApp();
    doc = (await request(sut.http).get('/api/docs-json').expect(200)).body;
  });
  afterAll(() => sut.close());

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, op })),
    );

  /**
   * Every property of the schema (after $ref/allOf/items) carries a description and an example. A
   * property that is another documented schema (or a list of them) gets its example from that schema.
   */
  function undocumentedProperties(schema: Schema, seen = new Set<string>()): string[] {
    if (schema.$ref) {
      const name = schema.$ref.split('/').pop()!;
      if (seen.has(name)) return [];
      seen.add(name);
      return undocumentedProperties(doc.components.schemas[name], seen).map((p) => `${name}.${p}`);
    }
    if (schema.items) return undocumentedProperties(schema.items, seen);
    const fromAllOf = (schema.allOf ?? []).flatMap((s) => undocumentedProperties(s, seen));
    const own = Object.entries(schema.properties ?? {}).flatMap(([name, prop]) => {
      const missing = [];
      if (!prop.description) missing.push(`${name} (description)`);
      const nested = prop.$ref ?? prop.allOf?.[0]?.$ref ?? prop.items?.$ref;
      if (nested) missing.push(...undocumentedProperties({ $ref: nested }, seen).map((p) => `${name}.${p}`));
      else if (prop.example === undefined) missing.push(`${name} (example)`);
      return missing;
    });
    return [...fromAllOf, ...own];
  }

  it('documents every route the app serves, and nothing else', () => {
    const documented = operations()
      .map((o) => o.key)
      .sort();
    expect(documented).toEqual([...new Set(expressRoutes(sut))].sort());
    for (const route of [
      'POST /auth/register',
      'POST /auth/login',
      'GET /me',
      'DELETE /devices/{id}',
      'POST /pairs/requests/{id}/accept',
      'DELETE /blocks/{userId}',
    ]) {
      expect(documented).toContain(route);
    }
  });

  it('gives every operation a unique operationId and a summary', () => {
    const ids = operations().map(({ key, op }) => {
      expect({ key, operationId: op.operationId }).toEqual({
        key,
        operationId: expect.stringMatching(/^[a-z]+[A-Za-z]+$/),
      });
      expect({ key, summary: op.summary }).toEqual({ key, summary: expect.stringMatching(/\S/) });
      return op.operationId;
    });
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('describes every JSON request and response body with a schema whose fields have examples', () => {
    const problems: string[] = [];
    for (const { key, op } of operations()) {
      const bodies = [
        ...(op.requestBody ? [['request', op.requestBody.content['application/json']?.schema] as const] : []),
        ...Object.entries(op.responses)
          .filter(([status, res]) => status.startsWith('2') && status !== '204' && !res.content?.['text/plain'])
          .map(([status, res]) => [status, res.content?.['application/json']?.schema] as const),
      ];
      for (const [which, schema] of bodies) {
        if (!schema) problems.push(`${key} ${which}: no JSON schema`);
        else undocumentedProperties(schema).forEach((p) => problems.push(`${key} ${which}: ${p}`));
      }
    }
    expect(problems).toEqual([]);
  });

  it('marks bearer-protected operations and documents their error answers', () => {
    for (const { key, op } of operations()) {
      const secured = (op as { security?: unknown[] }).security?.length;
      if (secured) expect({ key, has401: '401' in op.responses }).toEqual({ key, has401: true });
    }
    expect((doc.paths['/me'].get as { security?: unknown }).security).toEqual([{ 'access-token': [] }]);
    expect(doc.paths['/auth/login'].post.responses['429']).toBeDefined();
    expect(doc.paths['/auth/register'].post.responses['409']).toBeDefined();
  });
});
