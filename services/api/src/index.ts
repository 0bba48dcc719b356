export * from './app.ts';
export * from './deps.ts';
export * from './errors.ts';
export * from './openapi.ts';
export * from './rate-limits.ts';
export * from './routes/health.ts';
export * from './security-headers.ts';
export * from './web-ui.ts';
