import { describe, expect, test } from 'vitest';
import { conditionSelected, selectedConditions } from './content-conditions.js';

describe('conditionSelected', () => {
  test('name:value matches the attribute as text, ignoring case and spaces', () => {
    expect(conditionSelected('region:eu', { region: 'EU ' })).toBe(true);
    expect(conditionSelected('region:eu', { region: 'us' })).toBe(false);
    expect(conditionSelected('region:eu', {})).toBe(false);
    expect(conditionSelected('tier:2', { tier: 2 })).toBe(true);
    expect(conditionSelected('member:true', { member: true })).toBe(true);
    expect(conditionSelected('member:true', { member: false })).toBe(false);
  });

  test('the value is what follows the first colon', () => {
    expect(conditionSelected('region:eu:loyal', { region: 'eu:loyal' })).toBe(true);
    expect(conditionSelected('region:eu:loyal', { region: 'eu' })).toBe(false);
  });

  test('a list attribute selects when it holds the value', () => {
    expect(conditionSelected('segment:vip', { segment: ['new', 'VIP'] })).toBe(true);
    expect(conditionSelected('segment:vip', { segment: ['new'] })).toBe(false);
  });

  test('a bare label is a flag, or a member of any list attribute', () => {
    expect(conditionSelected('vip', { vip: true })).toBe(true);
    expect(conditionSelected('vip', { vip: 'yes' })).toBe(true);
    expect(conditionSelected('vip', { vip: 1 })).toBe(true);
    for (const no of [false, 0, '', 'false', 'No', '0', 'off', [], null]) expect(conditionSelected('vip', { vip: no })).toBe(false);
    expect(conditionSelected('vip', { tags: ['vip', 'eu'] })).toBe(true);
    expect(conditionSelected('vip', { tags: ['eu'] })).toBe(false);
  });

  test('attribute names are found ignoring case, an exact name first', () => {
    expect(conditionSelected('Region:eu', { region: 'eu' })).toBe(true);
    expect(conditionSelected('region:eu', { Region: 'us', region: 'eu' })).toBe(true);
  });

  test('objects never match as text', () => {
    expect(conditionSelected('a:[object object]', { a: {} })).toBe(false);
  });
});

test('selectedConditions keeps the labels the attributes select', () => {
  expect([...selectedConditions(['region:eu', 'region:us', 'vip'], { region: 'eu', vip: true })]).toEqual(['region:eu', 'vip']);
});
