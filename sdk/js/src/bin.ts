#!/usr/bin/env node
import { runCli } from './cli.js';

const argv = process.argv.slice(2);
const stop = new AbortController();
if (argv[0] === 'listen') {
  // The first Ctrl-C stops listen cleanly (the position is saved after every event); a second one exits at once.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stop.signal.aborted) process.exit(130);
      stop.abort();
    });
  }
}

runCli(argv, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, signal: stop.signal }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
