import { afterAll, describe, expect, it } from 'vitest';
import { TransformRunner } from './transform-runner.ts';

const runner = new TransformRunner({ timeoutMs: 200, memoryBytes: 16 * 1024 * 1024 });
afterAll(() => runner.close());

const event = { id: 'evt_1', type: 'video.asset.ready', data: { status: 'ready', duration: 62.5 } };
const context = { source_id: 'src_1', destination_id: 'dst_1', attempt: 1 };
const run = (body: string) => runner.run(`function transform(event, context) { ${body} }`, event, context);

/** After each hostile call, the same runner still transforms an ordinary event. */
async function stillWorks() {
  expect(await run('return { status: event.data.status, attempt: context.attempt };')).toEqual({
    kind: 'send',
    body: '{"status":"ready","attempt":1}',
    headers: {},
  });
}

describe('transform results', () => {
  it('sends the returned object as the body', async () => {
    await stillWorks();
  });

  it('takes {body, headers}, lower-cases header names, refuses Hookline and signature headers', async () => {
    expect(await run("return { body: { a: 1 }, headers: { 'X-Customer': '42' } };")).toEqual({
      kind: 'send',
      body: '{"a":1}',
      headers: { 'x-customer': '42' },
    });
    for (const name of ['webhook-signature', 'Hookline-Event-Type', 'content-type', 'host']) {
      const outcome = await run(`return { body: {}, headers: { '${name}': 'x' } };`);
      expect(outcome).toEqual({ kind: 'error', error: `transform: header ${name.toLowerCase()} is set by Hookline` });
    }
    expect(await run("return { body: {}, headers: { 'x-a': 'b\\r\\nx-evil: 1' } };")).toMatchObject({ kind: 'error' });
  });

  it('skips on null; refuses undefined, strings and arrays', async () => {
    expect(await run('return null;')).toEqual({ kind: 'skip' });
    expect(await run('return;')).toMatchObject({ kind: 'error', error: expect.stringContaining('undefined') });
    expect(await run("return 'x';")).toMatchObject({ kind: 'error', error: expect.stringContaining('must return an object') });
    expect(await run('return [1];')).toMatchObject({ kind: 'error' });
  });

  it('records the exception a transform throws', async () => {
    expect(await run("throw new Error('no customer');")).toEqual({ kind: 'error', error: 'transform: Error: no customer' });
    expect(await run('return event.nope.deeper;')).toMatchObject({ kind: 'error', error: expect.stringMatching(/TypeError/) });
  });
});

describe('the sandbox stops hostile transforms, records why, and goes on', () => {
  it('an infinite loop: a timeout', async () => {
    const started = Date.now();
    expect(await run('while (true) {}')).toEqual({ kind: 'error', error: 'transform: timeout: ran over 200 ms' });
    expect(Date.now() - started).toBeLessThan(5_000);
    await stillWorks();
  });

  it('a 1 GB allocation: out of memory', async () => {
    expect(await run('const a = new ArrayBuffer(1024 * 1024 * 1024); return { n: a.byteLength };')).toEqual({
      kind: 'error',
      error: 'transform: out of memory: used more than 16 MB',
    });
    expect(await run("return { s: 'x'.repeat(1024 * 1024 * 1024).length };")).toMatchObject({ kind: 'error' });
    await stillWorks();
  });

  it('memory filled slowly (the guest holds off its deadline): the thread is replaced', async () => {
    const outcome = await run("const a = []; while (true) a.push('x'.repeat(1e6) + a.length);");
    expect(outcome).toMatchObject({ kind: 'error', error: expect.stringMatching(/timeout|out of memory/) });
    await stillWorks();
  });

  it('deep recursion: a stack overflow', async () => {
    expect(await run('function f() { return f() + 1; } return f();')).toEqual({ kind: 'error', error: 'transform: stack overflow' });
    await stillWorks();
  });

  it.each([
    ['require', "return require('fs');", /'require' is not defined/],
    ['process', 'return process.env;', /'process' is not defined/],
    ['fetch', "return fetch('http://169.254.169.254/');", /'fetch' is not defined/],
    ['Function constructor', "return { p: ({}).constructor.constructor('return process')() };", /'process' is not defined/],
    ['setTimeout', 'setTimeout(() => {}, 1); return {};', /'setTimeout' is not defined/],
  ])('no host access: %s', async (_name, body, error) => {
    const outcome = await run(body);
    expect(outcome).toMatchObject({ kind: 'error', error: expect.stringMatching(error) });
    await stillWorks();
  });

  it('globalThis is the sandbox’s own, with nothing of the host', async () => {
    const outcome = await run(
      'return { names: Object.getOwnPropertyNames(globalThis).filter((n) => /^(process|require|fetch|Buffer|module|global|setTimeout)$/.test(n)), hasProcess: typeof globalThis.process };',
    );
    expect(outcome).toEqual({ kind: 'send', body: '{"names":[],"hasProcess":"undefined"}', headers: {} });
  });

  it('prototype pollution stays in its call: neither the host nor the next call sees it', async () => {
    const outcome = await run(
      'Object.prototype.polluted = \'yes\'; ({}).__proto__.isAdmin = true; Array.prototype.push = null; return JSON.parse(\'{"__proto__": {"isAdmin": true}, "ok": 1}\');',
    );
    expect(outcome).toMatchObject({ kind: 'send' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(await run('return { polluted: ({}).polluted === undefined, push: typeof [].push };')).toEqual({
      kind: 'send',
      body: '{"polluted":true,"push":"function"}',
      headers: {},
    });
  });

  it('check refuses sources that do not compile or define no transform', async () => {
    await expect(runner.check('function transform(event) { return event; }')).resolves.toBeUndefined();
    await expect(runner.check('function transform( {')).rejects.toThrow(/SyntaxError/);
    await expect(runner.check('const x = 1;')).rejects.toThrow(/must define function transform/);
    await expect(runner.check('while (true) {}')).rejects.toThrow(/timeout/);
  });
});
