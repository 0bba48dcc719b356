import { readFileSync } from 'node:fs';
import { ApiError } from './errors.ts';

export const MIN_PASSWORD_LENGTH = 10;

/** The most common breached passwords, lowercased (see the file's header for where they come from). */
const COMMON = new Set(
  readFileSync(new URL('../data/common-passwords.txt', import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line && !line.startsWith('#')),
);

/** Runs of keys or characters people type as a "password", each also read backwards. */
const SEQUENCES = [
  '01234567890123456789',
  'abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz',
  'qwertyuiopasdfghjklzxcvbnm',
  'qwertyuiop[]\\',
  "asdfghjkl;'",
  'zxcvbnm,./',
  'qwertzuiop',
  'azertyuiop',
  '1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/',
  'zaq1xsw2cde3vfr4bgt5nhy6mju7,ki8.lo9/;p0',
  '1q2w3e4r5t6y7u8i9o0p',
  'q1w2e3r4t5y6u7i8o9p0',
];

function isSequence(text: string): boolean {
  return text.length >= 3 && SEQUENCES.some((run) => run.includes(text) || [...run].reverse().join('').includes(text));
}

/** Typed without thinking: blank, a handful of characters over and over, or a run of keys. */
function isTrivial(text: string): boolean {
  return text.trim() === '' || new Set(text).size < 4 || isSequence(text);
}

/**
 * Why a new password is refused, or undefined when it is acceptable: too short, blank,
 * trivial, one of the most common breached passwords (also with a short or trivial prefix or
 * suffix of digits and symbols, as in "Password123!"), or containing the account's email name.
 * Length matters most; this only turns away what guessing lists try first.
 */
export function passwordProblem(password: string, email?: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `password must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.trim() === '') return 'password must not be only spaces';
  const lower = password.toLowerCase();
  const compact = lower.replace(/\s+/g, '');
  if (new Set(compact).size < 4) return 'password uses too few different characters';
  if (isSequence(compact)) return 'password is a run of consecutive characters or keys';
  const base = lower.replace(/^[\d\W_]+|[\d\W_]+$/g, '');
  const affix = lower.length - base.length;
  if (COMMON.has(lower) || COMMON.has(compact) || (base && COMMON.has(base) && (affix <= 5 || isTrivial(lower.replace(base, ''))))) {
    return 'password is one of the most common passwords; a few unrelated words make a strong one';
  }
  const name = email?.split('@')[0]?.toLowerCase();
  if (name && name.length >= 4 && compact.includes(name.replace(/\s+/g, ''))) return 'password must not contain your email address';
  return undefined;
}

/** Throws the API's 400 `weak_password` when `passwordProblem` finds one. */
export function checkPassword(password: string, email?: string): void {
  const problem = passwordProblem(password, email);
  if (problem) throw new ApiError(400, 'weak_password', problem);
}
