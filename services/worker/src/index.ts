export * from './delivery-worker.ts';
export * from './http-attempt.ts';
export * from './periodic.ts';
export * from './pruner.ts';
export * from './retry-policy.ts';
export * from './sweeper.ts';
