// `node --import tsx bench/json-scan.ts [iterations]`: time per call of the body scans ingest
// runs on every accepted webhook besides JSON.parse (jsonDepth, topLevelMembers), on the
// bench's Mux event. In-process and single-threaded: compare two versions of the code in
// alternating runs, not against another day's figure.
import { jsonDepth } from '@hookline/core';
import { topLevelMembers } from '@hookline/providers';
import { signedMuxEvent } from './load.ts';

const iterations = Number(process.argv[2] ?? 200_000);
const { body } = signedMuxEvent();

function time(name: string, run: () => unknown): void {
  for (let i = 0; i < iterations / 10; i++) run(); // warm-up: let V8 optimize
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) run();
  const ns = Number(process.hrtime.bigint() - start) / iterations;
  console.log(`${name}: ${(ns / 1000).toFixed(2)} µs per call (${body.length} characters)`);
}

time('JSON.parse', () => JSON.parse(body));
time('jsonDepth', () => jsonDepth(body, 64));
time('topLevelMembers', () => topLevelMembers(body));
