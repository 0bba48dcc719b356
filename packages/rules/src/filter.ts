import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';

/**
 * Destination filters (CONTRACT §8): a document over the normalized envelope plus `headers`.
 *
 * One grammar everywhere: a *condition* is a literal (equality) or an object whose keys
 * each must hold. A key is an operator (`$gt`, `$or`, …) applied to the value at hand, or a
 * path (dotted: `"data.status"`, or nested: `{"data":{"status":…}}`) whose condition is
 * applied to the value found there. The whole filter is a condition on the envelope.
 *
 * Arrays, as in Hookdeck and MongoDB: a condition on an array field holds if the array
 * itself or any of its elements satisfies it (`{"data.tags":"vip"}` matches
 * `["new","vip"]`); a path continues into every element (`data.tracks.type`), or one
 * element by index (`data.tracks.0.type`); the paths of one nested object hold on one and
 * the same element (`{"data":{"tracks":{"type":"audio","channels":2}}}`). The negations (`$neq`, `$nin`, `$not`) negate
 * the whole test, so `{"data.tags":{"$neq":"vip"}}` means no element is "vip".
 * A missing path equals null; `$exist` tells absent from null.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A compiled filter: true when the envelope should be delivered. Never throws. */
export type Matcher = (envelope: unknown) => boolean;

/** A filter document that is not valid; `path` names the bad part (e.g. `data.duration.$gt`). */
export class InvalidFilterError extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`filter${path ? `.${path}` : ''}: ${detail}`);
  }
}

/** Larger documents are refused: every ingested event runs every filter of its source. */
export const MAX_FILTER_BYTES = 16_384;
const MAX_DEPTH = 32;

const require = createRequire(import.meta.url);
/** The JSON Schema published for filter documents (packages/rules/schema/filter.schema.json). */
export const FILTER_SCHEMA = require('../schema/filter.schema.json') as Record<string, unknown>;

let schemaCheck: ValidateFunction | undefined;

/** Checks a filter document against the JSON Schema and the limits; throws InvalidFilterError naming the bad path. */
export function validateFilter(filter: unknown): asserts filter is Record<string, Json> {
  const text = JSON.stringify(filter);
  if (text === undefined) throw new InvalidFilterError('', 'must be a JSON object');
  if (text.length > MAX_FILTER_BYTES) throw new InvalidFilterError('', `is over ${MAX_FILTER_BYTES} bytes`);
  // Loaded on first use: most processes start without needing it (it is slow to load).
  schemaCheck ??= new (require('ajv') as typeof import('ajv')).Ajv({ allErrors: true, strict: false }).compile(FILTER_SCHEMA);
  if (!schemaCheck(filter)) throw schemaError(schemaCheck.errors ?? []);
  checkPaths(filter, '', 0);
}

/** The most specific schema error: the deepest path, a concrete keyword over anyOf's summary. */
function schemaError(errors: ErrorObject[]): InvalidFilterError {
  // An unknown key names a path one deeper than where it is reported; "not a literal" (the
  // first branch of a condition's anyOf) says least.
  const rank = (e: ErrorObject) =>
    e.instancePath.split('/').length * 3 +
    (e.keyword === 'additionalProperties' ? 3 : e.keyword === 'anyOf' || e.schemaPath.includes('/anyOf/0/') ? 0 : 1);
  const best = [...errors].sort((a, b) => rank(b) - rank(a))[0];
  if (!best) return new InvalidFilterError('', 'is not valid');
  const segments = best.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (best.keyword === 'additionalProperties') {
    const key = String((best.params as { additionalProperty: string }).additionalProperty);
    return new InvalidFilterError(
      [...segments, key].join('.'),
      key === '' ? 'empty key' : `unknown operator ${key} (operators: ${OPERATORS.join(' ')})`,
    );
  }
  if (best.keyword === 'type' && segments.length === 0) return new InvalidFilterError('', 'must be a JSON object');
  return new InvalidFilterError(segments.join('.'), best.message ?? 'is not valid');
}

const OPERATORS = ['$eq', '$neq', '$in', '$nin', '$gt', '$gte', '$lt', '$lte', '$exist', '$startsWith', '$contains', '$or', '$and', '$not'];

/** What the schema cannot say: path segments are not empty, nesting is bounded. */
function checkPaths(value: unknown, at: string, depth: number): void {
  if (depth > MAX_DEPTH) throw new InvalidFilterError(at, `nests more than ${MAX_DEPTH} levels`);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  for (const [key, inner] of Object.entries(value)) {
    const here = at ? `${at}.${key}` : key;
    if (!key.startsWith('$') && key.split('.').some((s) => s === '')) throw new InvalidFilterError(here, 'path has an empty segment');
    // Operands of $eq/$neq/$in/$nin/$contains are literals, whatever they contain.
    if (key === '$eq' || key === '$neq' || key === '$in' || key === '$nin' || key === '$contains') continue;
    if (Array.isArray(inner)) {
      for (const [i, item] of inner.entries()) checkPaths(item, `${here}.${i}`, depth + 1);
    } else checkPaths(inner, here, depth + 1);
  }
}

/** Validates and compiles a filter once; the matcher is then run per event (ingest fan-out, attempts, tries). */
export function compileFilter(filter: unknown): Matcher {
  validateFilter(filter);
  const test = compileCondition(filter);
  return (envelope) => {
    try {
      return test(envelope);
    } catch {
      // Plain JSON cannot make a test throw short of exhausting the stack; delivering an
      // unwanted event is better than dropping a wanted one.
      return true;
    }
  };
}

type Test = (value: unknown) => boolean;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function compileCondition(condition: Json): Test {
  if (!isObject(condition)) return equalsTest(condition);
  const operators: Test[] = [];
  const fields: [string, Test][] = [];
  for (const [key, operand] of Object.entries(condition)) {
    if (key.startsWith('$')) operators.push(compileOperator(key, operand as Json));
    else fields.push(compileDotted(key.split('.'), compileCondition(operand as Json)));
  }
  const tests = fields.length > 0 ? [...operators, compileFields(fields)] : operators;
  if (tests.length === 1) return tests[0] as Test;
  return (value) => tests.every((t) => t(value));
}

/** `a.b.c: test` as `a: {b: {c: test}}`. */
function compileDotted(segments: string[], inner: Test): [string, Test] {
  const [head, ...rest] = segments as [string, ...string[]];
  return rest.length === 0 ? [head, inner] : [head, compileFields([compileDotted(rest, inner)])];
}

/**
 * The paths of one object condition, all on the same object: on an array, all on one of
 * its elements (or, for indexes, on the array itself).
 */
function compileFields(fields: [string, Test][]): Test {
  const byIndex = fields.every(([key]) => /^\d+$/.test(key));
  const onObject = (value: unknown) => fields.every(([key, test]) => test(childOf(value, key)));
  return (value) => {
    if (!Array.isArray(value)) return onObject(value);
    return (byIndex && onObject(value)) || value.some((element) => isObject(element) && onObject(element));
  };
}

function childOf(value: unknown, key: string): unknown {
  if (Array.isArray(value)) return /^\d+$/.test(key) ? value[Number(key)] : undefined;
  return isObject(value) && Object.hasOwn(value, key) ? value[key] : undefined;
}

/** Equality with a literal: the value itself, or any element of an array value. A missing value equals null. */
function equalsTest(literal: Json): Test {
  return anyElement((v) => deepEqual(v === undefined ? null : v, literal));
}

/** The test holds for the value, or (for an array) for any of its elements. */
function anyElement(test: Test): Test {
  return (value) => test(value) || (Array.isArray(value) && value.some(test));
}

function compileOperator(op: string, operand: Json): Test {
  switch (op) {
    case '$eq':
      return equalsTest(operand);
    case '$neq': {
      const eq = equalsTest(operand);
      return (v) => !eq(v);
    }
    case '$in': {
      const tests = (operand as Json[]).map(equalsTest);
      return (v) => tests.some((t) => t(v));
    }
    case '$nin': {
      const tests = (operand as Json[]).map(equalsTest);
      return (v) => !tests.some((t) => t(v));
    }
    case '$gt':
      return compare(operand as number | string, (c) => c > 0);
    case '$gte':
      return compare(operand as number | string, (c) => c >= 0);
    case '$lt':
      return compare(operand as number | string, (c) => c < 0);
    case '$lte':
      return compare(operand as number | string, (c) => c <= 0);
    case '$exist':
      return operand ? (v) => v !== undefined : (v) => v === undefined;
    case '$startsWith': {
      const prefixes = Array.isArray(operand) ? (operand as string[]) : [operand as string];
      return anyElement((v) => typeof v === 'string' && prefixes.some((p) => v.startsWith(p)));
    }
    case '$contains':
      if (typeof operand === 'string') return anyElement((v) => typeof v === 'string' && v.includes(operand));
      return (v) => Array.isArray(v) && v.some((element) => deepEqual(element, operand));
    case '$or': {
      const tests = (operand as Json[]).map(compileCondition);
      return (v) => tests.some((t) => t(v));
    }
    case '$and': {
      const tests = (operand as Json[]).map(compileCondition);
      return (v) => tests.every((t) => t(v));
    }
    case '$not': {
      const test = compileCondition(operand);
      return (v) => !test(v);
    }
    default:
      // validateFilter refuses unknown operators before compiling.
      throw new InvalidFilterError(op, 'unknown operator');
  }
}

/** Ordering between values of the same kind only: numbers with numbers, strings (ISO timestamps) with strings. */
function compare(operand: number | string, holds: (c: number) => boolean): Test {
  return anyElement((v) => {
    if (typeof v !== typeof operand) return false;
    if (typeof v === 'number') return holds(v - (operand as number));
    return holds((v as string) < (operand as string) ? -1 : (v as string) > (operand as string) ? 1 : 0);
  });
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((x, i) => deepEqual(x, other[i]));
  }
  const ak = Object.keys(a);
  const bk = Object.keys(b);
  if (ak.length !== bk.length) return false;
  return ak.every((k) => Object.hasOwn(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * What a filter sees: the normalized envelope (parsed from the stored payload) with the
 * incoming request's headers under `headers` (lower-case names; {} for test events).
 */
export function filterView(
  payload: string,
  headers: Readonly<Record<string, string | undefined>> | null | undefined,
): Record<string, unknown> {
  const envelope = JSON.parse(payload) as Record<string, unknown>;
  envelope.headers = headers ?? {};
  return envelope;
}
