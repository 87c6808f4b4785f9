/** Exponential backoff with jitter, for reconnects and send retries. */
export interface BackoffOptions {
  /** First delay, ms. */
  minDelayMs: number;
  /** Cap, ms. */
  maxDelayMs: number;
  /** 0..1: the delay is scattered by up to this fraction either way, so clients don't retry in step. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { minDelayMs: 500, maxDelayMs: 30_000, jitter: 0.5 };

/**
 * Delay before retry number `attempt` (0-based): min * 2^attempt, capped, then jittered.
 * @param random - a number in [0, 1); injected so tests are deterministic
 * @throws RangeError for a negative attempt
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random = Math.random(),
): number {
  if (!Number.isInteger(attempt) || attempt < 0)
    throw new RangeError(`attempt: expected a non-negative integer, got ${attempt}`);
  const base = Math.min(options.maxDelayMs, options.minDelayMs * 2 ** Math.min(attempt, 30));
  const spread = base * options.jitter * (2 * random - 1);
  return Math.max(0, Math.round(Math.min(options.maxDelayMs, base + spread)));
}
