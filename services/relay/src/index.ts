export * from './ingest-route.ts';
export * from './ingestor.ts';
