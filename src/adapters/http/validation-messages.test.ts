import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CreateCampaign, CreateExecution, CreateMessage, DeliveryEvent, IdParam, parseInput } from './api-schemas.js';

const message = (schema: z.ZodType, value: unknown, where?: string) => {
  try {
    parseInput(schema, value, where);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('parsed');
};

describe('validation messages', () => {
  it('name the field, what is wrong and the value', () => {
    expect(message(CreateMessage, { executionId: 1, to: ['bad@'] })).toBe('to[0]: not an email address: "bad@"');
    expect(message(CreateMessage, { executionId: 1, to: [{ email: 'bad@' }] })).toBe('to[0].email: not an email address: "bad@"');
    expect(message(CreateMessage, { executionId: 1, to: [5] })).toBe('to[0]: not a string or an object: 5');
    expect(message(CreateMessage, { executionId: '1', to: [] })).toBe('executionId: not a number: "1"; to: fewer than 1 item: an array of 0');
    expect(message(CreateMessage, { executionId: 1.5, to: ['a@b.example'], bcc: [] })).toBe('executionId: not an integer: 1.5; body: unknown key: "bcc"');
    expect(message(CreateMessage, { to: ['a@b.example'] })).toBe('executionId: missing');
  });

  it('say enums, sizes and patterns plainly', () => {
    expect(message(CreateCampaign, { name: '', kind: 'weekly', tracking: { opens: 'yes' } })).toBe(
      'name: empty: ""; kind: not one of "one-off", "recurring", "transactional": "weekly"; tracking.opens: not true or false: "yes"',
    );
    expect(message(CreateCampaign, { name: 'x'.repeat(300) })).toBe(`name: longer than 200 characters: "${'x'.repeat(59)}…`);
    expect(message(CreateExecution, { subject: 's', html: 7 })).toBe('html: not a string: 7');
    expect(message(DeliveryEvent, { type: 'bounced', bounceType: 'x', code: 99, status: 'x' })).toBe(
      'bounceType: not one of "hard", "soft": "x"; code: less than 200: 99; status: must be an enhanced status code such as 5.1.1: "x"',
    );
    expect(message(DeliveryEvent, { type: 'opened' })).toBe('type: not one of "sent", "delivered", "deferred", "bounced", "complained": "opened"');
    expect(message(DeliveryEvent, {})).toBe('type: missing (one of "sent", "delivered", "deferred", "bounced", "complained")');
    expect(message(DeliveryEvent, { type: 'sent', at: -1 })).toBe('at: less than 0: -1');
    expect(message(z.object({ r: z.record(z.string().max(2), z.number()) }), { r: { abc: 1 } })).toBe('r.abc: key longer than 2 characters: "abc"');
  });

  it('refuse ids that are not plain decimal integers, naming the parameter', () => {
    for (const id of ['0x1', '1e0', '+1', ' 1', '01', '0', '1.0', '-1', '']) {
      expect(message(IdParam, { id }, 'id')).toBe(`id: not a plain decimal integer from 1: ${JSON.stringify(id)}`);
    }
    expect(message(IdParam, { id: '99999999999999999999' }, 'id')).toBe('id: larger than any id: 100000000000000000000');
    expect(parseInput(IdParam, { id: '42' }, 'id')).toEqual({ id: 42 });
  });
});
