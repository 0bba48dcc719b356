import { describe, expect, it } from 'vitest';
import { eventJson, MAX_EVENT_DEPTH } from './event-json.ts';

const head = '{"id":"evt_1","type":"video.asset.ready","provider":"mux","source_id":"src_1","provider_event":{"id":"p1","type":"t"}';
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('eventJson', () => {
  it("splices the stored text: data keeps the provider's numbers and line breaks, extra members follow", () => {
    const payload = `${head},"data":{\n  "big": 12345678901234567890,\n  "x": 1.0\n}}`;
    const json = eventJson({ id: 'evt_1', payload }, { status: 'delivered' });
    expect(json).toBe(`${head},"data":{\n  "big": 12345678901234567890,\n  "x": 1.0\n},"status":"delivered"}`);
    expect(JSON.parse(json)).toMatchObject({ id: 'evt_1', status: 'delivered', data: { x: 1 } });
  });

  it('shows data as deep as the limit allows', () => {
    const payload = `${head},"data":${nested(MAX_EVENT_DEPTH - 1)}}`;
    expect(JSON.parse(eventJson({ id: 'evt_1', payload })).data_omitted).toBeUndefined();
  });

  it('omits data nested deeper, keeping the envelope and the extra members', () => {
    const payload = `${head},"data":${nested(100_000)}}`;
    const json = eventJson({ id: 'evt_1', payload }, { status: 'pending' });
    expect(() => JSON.stringify(JSON.parse(payload))).toThrow(RangeError); // what used to fail the page
    expect(JSON.parse(json)).toEqual({
      ...JSON.parse(`${head}}`),
      data: null,
      data_omitted: { reason: 'too_deep', message: expect.stringContaining('too deep') },
      status: 'pending',
    });
    const justPast = eventJson({ id: 'evt_1', payload: `${head},"data":${nested(MAX_EVENT_DEPTH)}}` });
    expect(JSON.parse(justPast).data_omitted.reason).toBe('too_deep');
  });

  it('answers with the id alone for a stored payload that is not an event object', () => {
    for (const payload of ['{"id":"evt_1","data":', '[1,2]', '{}', '']) {
      expect(JSON.parse(eventJson({ id: 'evt_1', payload }, { status: 'failed' }))).toEqual({
        id: 'evt_1',
        data: null,
        data_omitted: { reason: 'unreadable', message: expect.any(String) },
        status: 'failed',
      });
    }
  });
});
