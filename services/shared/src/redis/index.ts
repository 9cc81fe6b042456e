export * from './connection.ts';
export * from './replicas.ts';
