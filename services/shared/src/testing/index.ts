export * from './servers.ts';
export * from './wait-for.ts';
export * from './ws-client.ts';
export * from './processes.ts';
export * from './sentinel.ts';
export * from './metrics.ts';
export * from './prometheus.ts';
export * from './browser.ts';
