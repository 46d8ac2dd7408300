import { describe, expect, it } from 'vitest';
import { useServer } from '../factories/index.js';

describe('HTTP foundation', () => {
  const srv = useServer();

  it('live and ready', async () => {
    const a = srv.agent();
    expect((await a.get('/health/live')).status).toBe(200);
    const r = await a.get('/health/ready');
    expect(r.status).toBe(200);
    expect(r.body.checks.database).toBe('ok');
  });

  it('unknown routes answer 404 in the error shape with X-Request-Id', async () => {
    const r = await srv.agent().get('/nope');
    expect(r.status).toBe(404);
    expect(r.body.error).toMatchObject({ code: 'NOT_FOUND' });
    expect(r.body.error.requestId).toBe(r.headers.get('x-request-id'));
  });

  it('echoes a sane X-Request-Id and replaces an insane one', async () => {
    const a = srv.agent();
    expect((await a.get('/health/live', { 'x-request-id': 'abc-123' })).headers.get('x-request-id')).toBe('abc-123');
    const bad = await a.get('/health/live', { 'x-request-id': 'x'.repeat(500) });
    expect(bad.headers.get('x-request-id')).not.toBe('x'.repeat(500));
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends the security headers', async () => {
    const r = await srv.agent().get('/health/live');
    expect(r.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(r.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('protected routes answer 401 UNAUTHENTICATED without a session', async () => {
    const r = await srv.agent().get('/me/context');
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('a body over the limit is 413 PAYLOAD_TOO_LARGE', async () => {
    const r = await srv.agent().request('POST', '/auth/exchange', { raw: JSON.stringify({ accessToken: 'x'.repeat(1_100_000) }), headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('a non-JSON body is 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const r = await srv.agent().request('POST', '/auth/exchange', { raw: 'accessToken=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(r.status).toBe(415);
    expect(r.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('malformed JSON is 400 VALIDATION_ERROR, and a schema failure lists details', async () => {
    const a = srv.agent();
    const r = await a.request('POST', '/auth/exchange', { raw: '{"accessToken":', headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('VALIDATION_ERROR');
    const r2 = await a.post('/auth/exchange', { accessToken: 42 });
    expect(r2.status).toBe(400);
    expect(r2.body.error.details[0].path).toBe('accessToken');
  });

  it('serves an offline docs page', async () => {
    const a = srv.agent();
    const html = await a.get('/docs');
    expect(html.status).toBe(200);
    expect(html.text).toContain('/docs/assets/swagger-ui-bundle.js');
    expect(html.text).not.toMatch(/https?:\/\/(?!.*openapi)/);
    expect((await a.get('/docs/assets/swagger-ui-bundle.js')).status).toBe(200);
  });
});
