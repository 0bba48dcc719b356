export * from './filter.ts';
export * from './transform.ts';
export * from './transform-runner.ts';
