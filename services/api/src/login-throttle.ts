import { createHash } from 'node:crypto';
import { admitLoginAttempt, clearLoginFailures, type Db, type LoginThrottleRules } from '@hookline/db';
import type { FastifyReply } from 'fastify';
import { ApiError } from './errors.ts';

/**
 * Per account, on top of the per-address rate limit (which a botnet spreads thin): 10
 * wrong passwords within an hour lock the account for a minute, each further one locks it
 * twice as long, up to 30 minutes. Counted in the database, so every API process sees it.
 */
export const LOGIN_THROTTLE: LoginThrottleRules = {
  maxFailures: 10,
  windowMs: 3_600_000,
  lockMs: (failures) => Math.min(60_000 * 2 ** (failures - 10), 30 * 60_000),
};

/** Accounts are throttled by a digest of the email: typed-in emails are never stored. */
function emailHash(email: string): string {
  return createHash('sha256').update(`login:${email.trim().toLowerCase()}`).digest('hex');
}

/**
 * Counts a password check against `email`'s account, or answers 429 with Retry-After
 * while it is locked. The answer is the same whether or not the account exists, so it
 * does not tell which emails have accounts.
 */
export async function admitPasswordCheck(db: Db, email: string, reply: FastifyReply): Promise<void> {
  const locked = await admitLoginAttempt(db, emailHash(email), LOGIN_THROTTLE);
  if (!locked) return;
  const seconds = Math.ceil(locked.retryAfterMs / 1000);
  reply.header('retry-after', String(seconds));
  throw new ApiError(429, 'too_many_attempts', `too many wrong passwords for this account; try again in ${seconds} s`);
}

/** The right password: the account's count starts over. */
export function passwordCheckSucceeded(db: Db, email: string): Promise<void> {
  return clearLoginFailures(db, emailHash(email));
}
