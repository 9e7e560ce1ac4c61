import { describe, expect, it } from 'vitest';
import { isSelfAddressEntry, selfAddressMatcher } from './self-addresses.js';

describe('self addresses', () => {
  it('matches whole addresses and whole domains, in any case', () => {
    const mine = selfAddressMatcher(['QA@shop.example', '@team.shop.example']);
    expect(mine('qa@SHOP.example')).toBe(true);
    expect(mine('anyone@team.shop.example')).toBe(true);
    expect(mine('other@shop.example')).toBe(false);
    // A domain entry is that domain, not its parents or look-alikes.
    expect(mine('x@shop.example')).toBe(false);
    expect(mine('x@evilteam.shop.example')).toBe(false);
    expect(selfAddressMatcher([])('qa@shop.example')).toBe(false);
  });

  it('tells well-formed entries from the rest', () => {
    for (const good of ['qa@shop.example', '@shop.example']) expect(isSelfAddressEntry(good), good).toBe(true);
    for (const bad of ['shop.example', 'qa@', '@', 'a@b@c.example', 'qa @shop.example', '@localhost']) expect(isSelfAddressEntry(bad), bad).toBe(false);
    expect(() => selfAddressMatcher(['shop.example'])).toThrow(/'shop.example' is neither an address nor @domain/);
  });
});
