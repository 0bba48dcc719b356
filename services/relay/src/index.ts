export * from './group-commit.ts';
export * from './ingest-route.ts';
export * from './ingestor.ts';
