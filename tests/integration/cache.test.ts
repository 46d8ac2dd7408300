import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { Cache } from '../../src/adapters/cache/cache.js';
import { CACHES, testCache } from '../helpers/server.js';

for (const kind of CACHES) {
  describe(`cache adapter: ${kind}`, () => {
    const cache: Cache = testCache(kind);
    const tag = `{t:${randomUUID()}}`;
    afterAll(() => cache.close());

    it('get/set/del, with and without a TTL', async () => {
      expect(await cache.get(`${tag}:a`)).toBeNull();
      await cache.set(`${tag}:a`, '1');
      await cache.set(`${tag}:b`, '2', 60);
      expect(await cache.get(`${tag}:a`)).toBe('1');
      expect(await cache.get(`${tag}:b`)).toBe('2');
      await cache.del(`${tag}:a`, `${tag}:b`);
      expect(await cache.get(`${tag}:a`)).toBeNull();
    });

    it('a TTL expires the key', async () => {
      await cache.set(`${tag}:ttl`, 'x', 1);
      await new Promise((r) => setTimeout(r, 1300));
      expect(await cache.get(`${tag}:ttl`)).toBeNull();
    });

    it('setIfAbsent is a lock: only the first caller wins', async () => {
      const results = await Promise.all(Array.from({ length: 10 }, () => cache.setIfAbsent(`${tag}:lock`, '1', 30)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('incr counts and readAndCount reads tagged keys and counts in one call', async () => {
      expect(await cache.incr(`${tag}:n`, 60)).toBe(1);
      expect(await cache.incr(`${tag}:n`, 60)).toBe(2);
      await cache.set(`${tag}:x`, 'X');
      const r = await cache.readAndCount([`${tag}:x`, `${tag}:missing`], `${tag}:n`, 60);
      expect(r).toEqual({ values: ['X', null], count: 3 });
      expect(await cache.readAndCount([], `${tag}:n`, 60)).toEqual({ values: [], count: 4 });
      expect(await cache.readAndCount([`${tag}:x`], null, 60)).toEqual({ values: ['X'], count: 0 });
    });

    it('setIfGreater only ever moves a value forward, atomically', async () => {
      expect(await cache.setIfGreater(`${tag}:v`, 5, 60)).toBe(5);
      expect(await cache.setIfGreater(`${tag}:v`, 3, 60)).toBe(5);
      expect(await cache.get(`${tag}:v`)).toBe('5');
      expect(await cache.setIfGreater(`${tag}:v`, 7, 60)).toBe(7);
      // Many writers in any order: the greatest wins.
      const values = Array.from({ length: 50 }, (_, i) => 100 + ((i * 37) % 50));
      await Promise.all(values.map((v) => cache.setIfGreater(`${tag}:w`, v, 60)));
      expect(await cache.get(`${tag}:w`)).toBe('149');
    });

    it('ping answers', async () => {
      await expect(cache.ping()).resolves.toBeUndefined();
    });
  });
}
