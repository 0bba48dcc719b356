export * from './client.ts';
export * from './databases.ts';
export * from './environment.ts';
export * from './postgres-server.ts';
export * from './process.ts';
export * from './receiver.ts';
export * from './redis-server.ts';
export * from './sse.ts';
