/**
 * Inputs the instrumentation core refuses. Each code names one reason, so the
 * layer that maps errors to responses can switch on it without parsing messages.
 */
export type InstrumentErrorCode =
  /** A part is longer than MAX_PART_LENGTH (plan.ts). */
  | 'INPUT_TOO_LARGE'
  /** The parts have more links to track than MAX_LINKS_PER_EXECUTION (plan.ts). */
  | 'TOO_MANY_LINKS'
  /** An option (exclusion entry, unsubscribe target) cannot be understood. */
  | 'INVALID_OPTION';

export class InstrumentError extends Error {
  override readonly name = 'InstrumentError';

  constructor(
    readonly code: InstrumentErrorCode,
    message: string,
  ) {
    super(message);
  }
}
