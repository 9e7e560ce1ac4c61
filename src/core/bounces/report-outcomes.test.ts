import { describe, expect, it } from 'vitest';
import { completeMultilineReply } from './report-outcomes.js';

describe('completeMultilineReply', () => {
  const transcript = [
    '<a@example.net>',
    '    (reason: 552-5.7.0 This message was blocked because its content presents a potential)',
    '... while talking to mx.example.net.:',
    '>>> DATA',
    '<<< 552-5.7.0 This message was blocked because its content presents a potential',
    '<<< 552-5.7.0 security issue. Please visit',
    '<<< 552 5.7.0 content guidelines.',
    '554 5.0.0 Service unavailable',
  ].join('\n');

  it('adds the lines of the transcript that continue a first reply line', () => {
    expect(completeMultilineReply('552-5.7.0 This message was blocked because its content presents a potential', transcript)).toBe(
      '552-5.7.0 This message was blocked because its content presents a potential\n552-5.7.0 security issue. Please visit\n552 5.7.0 content guidelines.',
    );
  });
  it('leaves a complete reply, or one the text does not continue, as it is', () => {
    expect(completeMultilineReply('554 5.0.0 Service unavailable', transcript)).toBe('554 5.0.0 Service unavailable');
    expect(completeMultilineReply('550-5.1.1 no such user', transcript)).toBe('550-5.1.1 no such user');
  });
});
