// Starts one redis-server and one FerretDB for the whole run (unless TEST_REDIS_URL /
// TEST_MONGO_URL point at existing servers) and hands their URLs to tests via inject().
// Each test file uses its own Redis key prefix / Mongo database name, so sharing is fine.
import type { TestProject } from 'vitest/node';
import { startFerret, startRedis, type TestServer } from './services/shared/src/testing/servers.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    mongoUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started: TestServer[] = [];
  const teardown = async () => {
    await Promise.all(started.map((server) => server.stop()));
  };
  try {
    const redisUrl = process.env.TEST_REDIS_URL || (await track(startRedis())).url;
    const mongoUrl = process.env.TEST_MONGO_URL || (await track(startFerret())).url;
    project.provide('redisUrl', redisUrl);
    project.provide('mongoUrl', mongoUrl);
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;

  async function track(pending: Promise<TestServer>): Promise<TestServer> {
    const server = await pending;
    started.push(server);
    return server;
  }
}
