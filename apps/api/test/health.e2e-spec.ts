import { afterAll, beforeAll, expect, it } from '@jest/globals';
import request from 'supertest';
import { createTestApp, describeE2E, TestApp } from './utils/test-app.js';

describeE2E('ops endpoints', () => {
  let sut: TestApp;
  beforeAll(async () => {
    sut = await createTestApp();
  });
  afterAll(() => sut.close());

  it('reports the database up on /health', async () => {
    const res = await request(sut.http).get('/health').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
    expect(res.body.info.redis).toBeUndefined();
  });

  it('exposes Prometheus metrics including HTTP timings', async () => {
    await request(sut.http).get('/health');
    const res = await request(sut.http).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toMatch(
      /pairchat_http_request_duration_seconds_count\{method="GET",route="\/health",status="200"\} \d+/,
    );
    expect(res.text).toContain('pairchat_process_cpu_user_seconds_total');
  });

  it('serves the OpenAPI JSON and the Swagger UI', async () => {
    const json = await request(sut.http).get('/api/docs-json').expect(200);
    expect(json.body.openapi).toMatch(/^3\./);
    expect(json.body.paths['/health'].get.operationId).toBe('getHealth');
    const ui = await request(sut.http).get('/api/docs').expect(200);
    expect(ui.text).toContain('swagger-ui');
  });

  it('echoes a well-formed request id and replaces a bad one', async () => {
    const given = await request(sut.http).get('/health').set('x-request-id', 'abc-123');
    expect(given.headers['x-request-id']).toBe('abc-123');
    const bad = await request(sut.http).get('/health').set('x-request-id', 'bad id with spaces');
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown routes with a coded 404 and a correlation id', async () => {
    const res = await request(sut.http).get('/nope').set('x-request-id', 'r-1').expect(404);
    expect(res.body).toMatchObject({ statusCode: 404, code: 'NOT_FOUND', correlationId: 'r-1' });
  });

  it('rejects malformed JSON with a coded 400', async () => {
    const res = await request(sut.http).post('/nope').set('content-type', 'application/json').send('{"a":').expect(400);
    expect(res.body).toMatchObject({ code: 'MALFORMED_JSON' });
  });

  it('rejects an oversize body with a coded 413', async () => {
    const big = JSON.stringify({ a: 'x'.repeat(sut.config.bodyLimitBytes + 10) });
    const res = await request(sut.http).post('/nope').set('content-type', 'application/json').send(big).expect(413);
    expect(res.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('sets security headers', async () => {
    const res = await request(sut.http).get('/health');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});
