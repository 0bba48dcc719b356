import { describe, expect, it } from 'vitest';
import { compileFilter, FILTER_SCHEMA, filterView, InvalidFilterError, validateFilter } from './filter.ts';

const envelope = {
  id: 'evt_1',
  type: 'video.asset.ready',
  provider: 'mux',
  object: { type: 'asset', id: 'asset_9' },
  environment: null,
  data: {
    status: 'ready',
    duration: 62.5,
    passthrough: 'customer-42',
    created_at: '2026-11-30T10:00:00Z',
    test: false,
    tags: ['new', 'vip'],
    tracks: [
      { type: 'video', max_width: 1920 },
      { type: 'audio', channels: 2 },
    ],
    playback_ids: [{ policy: 'public', id: 'p1' }],
    meta: { title: 'Intro to Hookline' },
  },
  headers: { 'content-type': 'application/json', 'mux-signature': 't=1,v1=abc' },
};

const matches = (filter: unknown) => compileFilter(filter)(envelope);

// One row per operator and shape: [filter, expected]. Each operator has a matching and a
// non-matching case, so no row passes by accident.
const TABLE: [string, unknown, boolean][] = [
  ['empty filter', {}, true],
  ['equality, dotted', { 'data.status': 'ready' }, true],
  ['equality, dotted, other value', { 'data.status': 'errored' }, false],
  ['equality, nested objects', { data: { status: 'ready' } }, true],
  ['equality, nested, two keys (AND)', { data: { status: 'ready', passthrough: 'other' } }, false],
  ['equality on a number', { 'data.duration': 62.5 }, true],
  ['equality on a boolean', { 'data.test': false }, true],
  ['equality is typed', { 'data.duration': '62.5' }, false],
  ['null equals a null value', { environment: null }, true],
  ['null equals a missing path', { 'data.nothing': null }, true],
  ['null does not equal a value', { 'data.status': null }, false],
  ['array field: any element equals', { 'data.tags': 'vip' }, true],
  ['array field: no element equals', { 'data.tags': 'old' }, false],
  ['array literal: the whole array', { 'data.tags': ['new', 'vip'] }, true],
  ['array literal: order matters', { 'data.tags': ['vip', 'new'] }, false],
  ['path into array elements', { 'data.tracks.type': 'audio' }, true],
  ['path into array elements, none', { 'data.tracks.type': 'text' }, false],
  ['path by index', { 'data.tracks.0.type': 'video' }, true],
  ['path by index, other element', { 'data.tracks.1.type': 'video' }, false],
  ['nested document within one element', { data: { tracks: { type: 'audio', channels: 2 } } }, true],
  ['nested document across elements does not match', { data: { tracks: { type: 'video', channels: 2 } } }, false],
  ['headers', { 'headers.content-type': 'application/json' }, true],
  ['$eq', { 'data.status': { $eq: 'ready' } }, true],
  ['$eq, other', { 'data.status': { $eq: 'created' } }, false],
  ['$eq with an object literal', { 'data.meta': { $eq: { title: 'Intro to Hookline' } } }, true],
  ['$eq with an object literal, partial', { 'data.meta': { $eq: {} } }, false],
  ['$neq', { 'data.status': { $neq: 'errored' } }, true],
  ['$neq, equal', { 'data.status': { $neq: 'ready' } }, false],
  ['$neq on an array: no element equals', { 'data.tags': { $neq: 'vip' } }, false],
  ['$neq on a missing path', { 'data.nothing': { $neq: 'x' } }, true],
  ['$in', { type: { $in: ['video.asset.created', 'video.asset.ready'] } }, true],
  ['$in, none', { type: { $in: ['video.asset.created'] } }, false],
  ['$in on an array field', { 'data.tags': { $in: ['old', 'vip'] } }, true],
  ['$nin', { type: { $nin: ['video.asset.deleted'] } }, true],
  ['$nin, listed', { type: { $nin: ['video.asset.ready'] } }, false],
  ['$gt', { 'data.duration': { $gt: 60 } }, true],
  ['$gt, equal', { 'data.duration': { $gt: 62.5 } }, false],
  ['$gte, equal', { 'data.duration': { $gte: 62.5 } }, true],
  ['$gte, more', { 'data.duration': { $gte: 63 } }, false],
  ['$lt', { 'data.duration': { $lt: 100 } }, true],
  ['$lt, equal', { 'data.duration': { $lt: 62.5 } }, false],
  ['$lte, equal', { 'data.duration': { $lte: 62.5 } }, true],
  ['$lte, less', { 'data.duration': { $lte: 10 } }, false],
  ['$gt and $lt together (range)', { 'data.duration': { $gt: 60, $lt: 70 } }, true],
  ['range, outside', { 'data.duration': { $gt: 60, $lt: 61 } }, false],
  ['$gt on strings (ISO timestamps)', { 'data.created_at': { $gt: '2026-11-01' } }, true],
  ['$lt on strings', { 'data.created_at': { $lt: '2026-11-01' } }, false],
  ['comparisons are typed', { 'data.duration': { $gt: '1' } }, false],
  ['$gt on array elements', { 'data.tracks.max_width': { $gt: 1280 } }, true],
  ['$exist true', { 'data.passthrough': { $exist: true } }, true],
  ['$exist true, missing', { 'data.nothing': { $exist: true } }, false],
  ['$exist true on null', { environment: { $exist: true } }, true],
  ['$exist false', { 'data.nothing': { $exist: false } }, true],
  ['$exist false, present', { 'data.status': { $exist: false } }, false],
  ['$startsWith', { type: { $startsWith: 'video.asset.' } }, true],
  ['$startsWith, no', { type: { $startsWith: 'video.live_stream.' } }, false],
  ['$startsWith, one of', { type: { $startsWith: ['video.live_stream.', 'video.asset.'] } }, true],
  ['$startsWith on a number', { 'data.duration': { $startsWith: '6' } }, false],
  ['$contains in a string', { 'data.meta.title': { $contains: 'Hookline' } }, true],
  ['$contains in a string, no', { 'data.meta.title': { $contains: 'hookline' } }, false],
  ['$contains in an array of strings', { 'data.tags': { $contains: 'vi' } }, true],
  ['$contains an object element', { 'data.playback_ids': { $contains: { policy: 'public', id: 'p1' } } }, true],
  ['$contains an object element, no', { 'data.playback_ids': { $contains: { policy: 'signed', id: 'p1' } } }, false],
  ['$or', { $or: [{ 'data.status': 'errored' }, { 'data.duration': { $gt: 60 } }] }, true],
  ['$or, none', { $or: [{ 'data.status': 'errored' }, { 'data.duration': { $gt: 100 } }] }, false],
  ['$and', { $and: [{ 'data.status': 'ready' }, { 'data.passthrough': { $startsWith: 'customer-' } }] }, true],
  ['$and, one fails', { $and: [{ 'data.status': 'ready' }, { 'data.passthrough': 'x' }] }, false],
  ['$not', { $not: { 'data.status': 'errored' } }, true],
  ['$not, holds', { $not: { 'data.status': 'ready' } }, false],
  ['$not at a path', { 'data.duration': { $not: { $gt: 100 } } }, true],
  ['$or at a path', { 'data.status': { $or: ['created', 'ready'] } }, true],
  ['$or inside nested', { data: { $or: [{ status: 'created' }, { status: 'ready' }] } }, true],
  ['the issue example', { type: 'video.asset.ready', 'data.status': 'ready', 'data.passthrough': 'customer-42' }, true],
  ['object.type + id', { object: { type: 'asset', id: { $in: ['asset_1', 'asset_9'] } } }, true],
  ['path through a scalar', { 'data.status.x': 'y' }, false],
  ['prototype keys are not paths', { 'data.constructor': { $exist: true } }, false],
];

describe('filter operators', () => {
  it.each(TABLE)('%s', (_name, filter, expected) => {
    expect(matches(filter)).toBe(expected);
  });

  it('covers every operator the schema knows', () => {
    const known = Object.keys((FILTER_SCHEMA as any).definitions.conditions.properties);
    const used = new Set(JSON.stringify(TABLE).match(/\$[a-zA-Z]+/g));
    expect(known.filter((op) => !used.has(op))).toEqual([]);
  });
});

describe('filter validation names the bad path', () => {
  const refused = (filter: unknown) => {
    try {
      validateFilter(filter);
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidFilterError);
      return (err as Error).message;
    }
    throw new Error('accepted');
  };

  it.each([
    [{ 'data.duration': { $gt: true } }, 'filter.data.duration.$gt: must be'],
    [{ data: { status: { $regex: 'x' } } }, 'filter.data.status.$regex: unknown operator $regex'],
    [{ $or: [] }, 'filter.$or: must NOT have fewer than 1 items'],
    [{ $or: [{ a: 1 }, { b: { $in: 'x' } }] }, 'filter.$or.1.b.$in: must be array'],
    [{ 'data.status': { $exist: 'yes' } }, 'filter.data.status.$exist: must be boolean'],
    [{ 'data..status': 1 }, 'filter.data..status: path has an empty segment'],
    [{ type: { $startsWith: 5 } }, 'filter.type.$startsWith'],
    [[1, 2], 'filter: must be a JSON object'],
    ['ready', 'filter: must be a JSON object'],
  ])('%j → %s', (filter, message) => {
    expect(refused(filter)).toContain(message);
  });

  it('refuses documents too large or too deep', () => {
    expect(refused({ data: { $in: Array.from({ length: 3000 }, (_, i) => `value-${i}`) } })).toMatch(/over 16384 bytes|more than 1000/);
    let deep: Record<string, unknown> = { a: 1 };
    for (let i = 0; i < 40; i++) deep = { $not: deep };
    expect(refused(deep)).toMatch(/nests more than 32 levels/);
  });

  it('accepts operands of any shape under $eq, $in and $contains', () => {
    expect(() => validateFilter({ a: { $eq: { $weird: [1] } }, b: { $in: [{ $x: 1 }] }, c: { $contains: { $y: 2 } } })).not.toThrow();
  });
});

describe('filterView', () => {
  it('is the envelope with the request headers', () => {
    const view = filterView('{"id":"evt_1","data":{"a":1}}', { 'x-a': 'b' });
    expect(view).toEqual({ id: 'evt_1', data: { a: 1 }, headers: { 'x-a': 'b' } });
    expect(filterView('{"id":"e"}', null).headers).toEqual({});
  });
});
