/**
 * The user-agent-only baseline: what a naive tool that drops "bot" user agents reports. The npm
 * `isbot` list judges every hit: on clicks a match is a bot, on opens a match is a machine open.
 */
import { isbot } from 'isbot';
import type { HitKind, Verdict } from './scenario-schema.js';

export function isbotVerdict(kind: HitKind, userAgent: string | null): Verdict {
  if (!isbot(userAgent ?? '')) return 'human';
  return kind === 'open' ? 'machine' : 'bot';
}
