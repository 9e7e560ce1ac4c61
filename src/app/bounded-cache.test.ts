import { describe, expect, it } from 'vitest';
import { BoundedCache } from './bounded-cache.js';

describe('BoundedCache', () => {
  it('never holds more than its capacity, and keeps what is used while dropping what is not', () => {
    const cache = new BoundedCache<number, string>(100);
    for (let i = 0; i < 1_000; i++) {
      cache.set(i, `v${i}`);
      // Key 0 is looked up all along; the others are written once.
      expect(cache.get(0)).toBe('v0');
      expect(cache.size).toBeLessThanOrEqual(100);
    }
    expect(cache.get(999)).toBe('v999');
    expect(cache.get(949)).toBe('v949');
    expect(cache.get(500)).toBeUndefined();
  });

  it('replaces a value in either generation without keeping the stale one', () => {
    const cache = new BoundedCache<string, number>(4);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3); // 'a' and 'b' are now the old generation
    cache.set('a', 10);
    expect(cache.get('a')).toBe(10);
    expect(cache.size).toBe(3);
  });

  it('loads a missing value once, and does not cache a missing one', async () => {
    const cache = new BoundedCache<number, string>(10);
    const loads: number[] = [];
    const load = async (key: number) => {
      loads.push(key);
      return key === 13 ? null : `row ${key}`;
    };
    expect(await cache.getOrLoad(1, load)).toBe('row 1');
    expect(await cache.getOrLoad(1, load)).toBe('row 1');
    expect(await cache.getOrLoad(13, load)).toBeNull();
    expect(await cache.getOrLoad(13, load)).toBeNull();
    expect(loads).toEqual([1, 13, 13]);
  });

  it('refuses a capacity it cannot split into two generations', () => {
    expect(() => new BoundedCache(1)).toThrow(/at least 2 entries, got 1/);
  });
});
