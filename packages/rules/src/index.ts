export * from './filter.ts';
export * from './transform-runner.ts';
export * from './transform-types.ts';
