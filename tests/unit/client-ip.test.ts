import { describe, expect, it } from 'vitest';
import { resolveClientIp } from '../../src/core/client-ip.js';

/** X-Forwarded-For is believed only through trusted proxies (TRUST_PROXY), read from its right end. */
describe('resolveClientIp', () => {
  it('without TRUST_PROXY the peer is the client, whatever the header says', () => {
    expect(resolveClientIp('203.0.113.9', '1.2.3.4', undefined)).toBe('203.0.113.9');
    expect(resolveClientIp('::ffff:10.0.0.5', null, undefined)).toBe('10.0.0.5');
    expect(resolveClientIp(null, '1.2.3.4', { hops: 1 })).toBeNull();
  });

  it('a hop count: the address that many proxies back, never further than the header goes', () => {
    // client → proxy (appends the client) → us
    expect(resolveClientIp('10.0.0.2', '198.51.100.7', { hops: 1 })).toBe('198.51.100.7');
    // A client that sends its own X-Forwarded-For cannot push its choice past the trusted hop.
    expect(resolveClientIp('10.0.0.2', '6.6.6.6, 198.51.100.7', { hops: 1 })).toBe('198.51.100.7');
    // Two proxies: CDN → load balancer → us.
    expect(resolveClientIp('10.0.0.2', '6.6.6.6, 198.51.100.7, 172.16.0.9', { hops: 2 })).toBe('198.51.100.7');
    // No header (a health check straight to the port): the peer.
    expect(resolveClientIp('10.0.0.2', undefined, { hops: 1 })).toBe('10.0.0.2');
    expect(resolveClientIp('10.0.0.2', '198.51.100.7', { hops: 3 })).toBe('198.51.100.7');
  });

  it('CIDRs: hops are skipped while they are trusted proxies; the first other address is the client', () => {
    const trust = { cidrs: ['10.0.0.0/8', '172.16.0.0/12', '::1'] };
    expect(resolveClientIp('10.1.2.3', '6.6.6.6, 198.51.100.7, 172.16.0.9', trust)).toBe('198.51.100.7');
    expect(resolveClientIp('::ffff:10.1.2.3', '198.51.100.7', trust)).toBe('198.51.100.7');
    expect(resolveClientIp('::1', '2001:db8::5', trust)).toBe('2001:db8::5');
    // A peer that is not a trusted proxy: its header is ignored (a client talking to the port directly).
    expect(resolveClientIp('203.0.113.9', '1.2.3.4', trust)).toBe('203.0.113.9');
    // Every hop trusted: the leftmost one.
    expect(resolveClientIp('10.0.0.1', '10.0.0.7', trust)).toBe('10.0.0.7');
  });

  it('garbage in the header stops at the last trusted word; ports and brackets are stripped', () => {
    expect(resolveClientIp('10.0.0.2', 'not-an-ip', { hops: 1 })).toBe('10.0.0.2');
    expect(resolveClientIp('10.0.0.2', '198.51.100.7:4711', { hops: 1 })).toBe('198.51.100.7');
    expect(resolveClientIp('10.0.0.2', '[2001:db8::5]:443', { hops: 1 })).toBe('2001:db8::5');
  });
});
