/**
 * A background loop over a database-backed queue: `run` every `intervalMs`, never two runs at once,
 * the next wait counted from the end of the previous run (a slow run is not stacked on). The send
 * queue and the outgoing webhooks both work this way; their queues are rows, so that any node may
 * pick up what another left.
 */
export class PollingWorker<T> {
  #timer: NodeJS.Timeout | null = null;
  #run: Promise<T> | null = null;
  #stopped = false;

  /**
   * @param work one run; it may check `stopped` to end early.
   * @param onError a run that threw: logged, and the loop goes on.
   */
  constructor(
    private readonly work: () => Promise<T>,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Whether stop() was called: a run in progress should end at its next step. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Runs now, or joins the run in progress. The loop calls it; tests call it after moving the clock. */
  run(): Promise<T> {
    this.#run ??= this.work().finally(() => (this.#run = null));
    return this.#run;
  }

  /** Starts the loop (0: never). Once stopped it does not start again. */
  start(intervalMs: number): void {
    if (intervalMs <= 0 || this.#timer || this.#stopped) return;
    const tick = () => {
      this.run()
        .catch((error: unknown) => this.onError(error))
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(tick, intervalMs);
        });
    };
    this.#timer = setTimeout(tick, intervalMs);
  }

  /** Stops the loop and waits for the run in progress (its error, if any, was the run's caller's to see). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#run?.catch(() => {});
  }
}
