/**
 * InnoDB resolves lock cycles by failing one transaction (1213) and gives up waiting after
 * innodb_lock_wait_timeout (1205); the standard remedy is to run the whole transaction again. Ack
 * batches from several nodes lock overlapping `messages` rows, so under load a batch can lose
 * several times in a row: retry with a jittered, growing pause so the contenders stop colliding.
 */
export interface DeadlockRetryOptions {
  /** Runs after the first attempt. */
  retries: number;
  /** First pause, ms; doubles each retry (full jitter: a random pause up to it). */
  baseDelayMs: number;
  /** Longest pause, ms. */
  maxDelayMs: number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_DEADLOCK_RETRY: DeadlockRetryOptions = { retries: 8, baseDelayMs: 2, maxDelayMs: 100 };

const DEADLOCK = 1213;
const LOCK_WAIT_TIMEOUT = 1205;

/** True for a MySQL deadlock or lock wait timeout (TypeORM keeps the driver error on `driverError`). */
export function isLockConflict(error: unknown): boolean {
  const errno =
    (error as { driverError?: { errno?: number }; errno?: number } | null)?.driverError?.errno ??
    (error as { errno?: number } | null)?.errno;
  return errno === DEADLOCK || errno === LOCK_WAIT_TIMEOUT;
}

/**
 * Runs `write`, and again after a lock conflict, at most `retries` more times.
 * @throws the last error, or at once any error that is not a lock conflict
 */
export async function retryDeadlocks<T>(
  write: () => Promise<T>,
  options: DeadlockRetryOptions = DEFAULT_DEADLOCK_RETRY,
): Promise<T> {
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 0; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (attempt >= options.retries || !isLockConflict(error)) throw error;
      const cap = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
      await sleep(Math.ceil(random() * cap));
    }
  }
}
