import type { Request } from 'express';
import type { Strategy } from 'passport';

export interface StrategyOutcome {
  /** The validated user, or false when the strategy refused. */
  user: unknown;
  /** Why it refused (passport-jwt passes the jsonwebtoken error, e.g. TokenExpiredError). */
  info?: unknown;
}

interface StrategyActions {
  success(user: unknown, info?: unknown): void;
  fail(challenge?: unknown, status?: number): void;
  error(error: unknown): void;
  pass(): void;
  redirect(url: string, status?: number): void;
}

/**
 * Runs one passport strategy instance on a request, the way passport.authenticate does, but without
 * passport's process-wide strategy registry: each api instance authenticates with its own strategies
 * (its own secret and database), even when several instances share a process.
 */
export function runStrategy(strategy: Strategy, request: Request): Promise<StrategyOutcome> {
  return new Promise((resolve, reject) => {
    const attempt = Object.create(strategy) as StrategyActions & {
      authenticate(request: Request, options: object): void;
    };
    attempt.success = (user, info) => resolve({ user, info });
    attempt.fail = (challenge) => resolve({ user: false, info: challenge });
    attempt.error = (error) => reject(error);
    attempt.pass = () => resolve({ user: false });
    attempt.redirect = () => resolve({ user: false });
    try {
      attempt.authenticate(request, {});
    } catch (error) {
      reject(error);
    }
  });
}
