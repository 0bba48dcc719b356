import { describe, expect, it } from 'vitest';
import { EventQueryError, fieldTermJsonPath, matchesEventQuery, parseEventQuery } from './event-query.ts';

describe('parseEventQuery', () => {
  it('reads field terms on envelope keys, quoted values, and ids', () => {
    expect(parseEventQuery('data.passthrough:abc  object.id:"x y" evt_01ABC')).toEqual([
      { kind: 'field', path: ['data', 'passthrough'], value: 'abc' },
      { kind: 'field', path: ['object', 'id'], value: 'x y' },
      { kind: 'id', value: 'evt_01ABC' },
    ]);
    // A colon after a word that is not an envelope key is part of an id (provider ids may hold one).
    expect(parseEventQuery('urn:abc:1')).toEqual([{ kind: 'id', value: 'urn:abc:1' }]);
    expect(parseEventQuery('data.title:"say \\"hi\\""')).toEqual([{ kind: 'field', path: ['data', 'title'], value: 'say "hi"' }]);
  });

  it('refuses an empty value and too many terms', () => {
    expect(() => parseEventQuery('data.status:')).toThrow(EventQueryError);
    expect(() => parseEventQuery(Array.from({ length: 9 }, (_, i) => `id${i}`).join(' '))).toThrow(EventQueryError);
  });

  it('writes SQL/JSON path predicates with quoted keys, and the JSON literal a value also stands for', () => {
    expect(fieldTermJsonPath({ kind: 'field', path: ['data', 'status'], value: 'errored' })).toBe('$."data"."status" == "errored"');
    expect(fieldTermJsonPath({ kind: 'field', path: ['data', 'duration'], value: '60' })).toBe(
      '$."data"."duration" == "60" || $."data"."duration" == 60',
    );
    expect(fieldTermJsonPath({ kind: 'field', path: ['data', 'a"b'], value: 'true' })).toBe(
      '$."data"."a\\"b" == "true" || $."data"."a\\"b" == true',
    );
  });
});

describe('matchesEventQuery', () => {
  const event = {
    id: 'evt_1',
    type: 'video.asset.ready',
    provider_event: { id: 'p-1', type: 'video.asset.ready' },
    object: { type: 'asset', id: 'a1' },
    data: { passthrough: 'x y', duration: 60, test: true, tracks: [{ type: 'video' }, { type: 'audio' }] },
  };
  const matches = (q: string) => matchesEventQuery(parseEventQuery(q), event);

  it('matches as the database search does: fields, arrays, JSON literals, ids, all terms', () => {
    expect(matches('data.passthrough:"x y" object.id:a1')).toBe(true);
    expect(matches('data.tracks.type:audio')).toBe(true);
    expect(matches('data.duration:60 data.test:true')).toBe(true);
    expect(matches('p-1')).toBe(true);
    expect(matches('evt_1 type:video.asset.ready')).toBe(true);
    expect(matches('data.passthrough:x')).toBe(false);
    expect(matches('evt_1 object.id:a2')).toBe(false);
    expect(matches('data.tracks:video')).toBe(false);
  });
});
