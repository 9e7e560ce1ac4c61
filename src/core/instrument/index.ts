/**
 * Instrumentation of an outgoing message: click-tracking URLs in place of link
 * destinations, an open pixel, an optional honeypot link. Pure: no I/O, and the
 * output equals the input byte for byte outside the edited spots.
 *
 * Two steps, because one execution is instrumented for thousands of messages:
 * `planInstrumentation` parses once; `applyPlan` splices each message's URLs.
 */
import { applyPlan, type InstrumentResult, type TrackingUrls } from './apply.js';
import { planInstrumentation, type InstrumentInput, type PlanOptions } from './plan.js';

export { applyPlan } from './apply.js';
export type { InstrumentResult, LinkOccurrence, TrackingUrls } from './apply.js';
export { HONEYPOT_ORDINAL } from './honeypot.js';
export { InstrumentError } from './instrument-error.js';
export type { InstrumentErrorCode } from './instrument-error.js';
export { linkPositions } from './link-positions.js';
export type { LinkPosition } from './link-positions.js';
export { MAX_LINKS_PER_EXECUTION, MAX_PART_LENGTH, planInstrumentation, trackableLinkCount } from './plan.js';
export type { InstrumentInput, InstrumentPlan, LinkPart, PlannedEdit, PlannedLink, PlanOptions } from './plan.js';
export { planDisagreement, restorePlan, toStoredPlan } from './stored-plan.js';
export type { StoredPlan } from './stored-plan.js';
export { unsubscribeHeaders } from './unsubscribe-headers.js';
export type { UnsubscribeTargets } from './unsubscribe-headers.js';

/** Plans and applies in one go, for a single message. */
export function instrument(input: InstrumentInput, options: PlanOptions, urls: TrackingUrls): InstrumentResult {
  return applyPlan(planInstrumentation(input, options), urls);
}
