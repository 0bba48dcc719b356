export * from './duration.ts';
export * from './group-commit.ts';
export * from './event-types.ts';
export * from './hashing.ts';
export * from './ids.ts';
export * from './secret-box.ts';
export * from './ssrf.ts';
export * from './standard-webhooks.ts';
