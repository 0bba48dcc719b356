export * from './app.ts';
export * from './deps.ts';
export * from './errors.ts';
export * from './routes/health.ts';
