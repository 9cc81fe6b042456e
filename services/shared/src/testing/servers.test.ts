import { createConnection } from 'node:net';
import { Redis } from 'ioredis';
import { MongoClient, MongoServerError } from 'mongodb';
import { describe, expect, inject, it } from 'vitest';
import { freePort, startFerret, startRedis } from './servers.ts';
import { waitFor } from './wait-for.ts';

const PREFIX = `test:shared:servers:${process.pid}:`;
const DB_NAME = `test_shared_servers_${process.pid}`;

/** Resolves with whether a TCP connection to 127.0.0.1:port is accepted. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function withMongo<T>(url: string, fn: (client: MongoClient) => Promise<T>): Promise<T> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000 });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

describe('waitFor', () => {
  it('resolves with the first truthy value, retrying falsy results and throws', async () => {
    let calls = 0;
    const value = await waitFor(() => {
      calls++;
      if (calls < 3) throw new Error('not yet');
      return calls < 5 ? 0 : { calls };
    });
    expect(value).toEqual({ calls: 5 });
  });

  it('rejects on timeout with the message and the last error', async () => {
    const started = Date.now();
    await expect(
      waitFor(
        () => {
          throw new Error('still down');
        },
        { timeoutMs: 100, message: 'the thing to be up' },
      ),
    ).rejects.toThrow(/timed out after 100 ms .*waiting for the thing to be up; last error: still down/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('times out even if an attempt never settles', async () => {
    await expect(waitFor(() => new Promise<boolean>(() => {}), { timeoutMs: 50, message: 'hang' })).rejects.toThrow(
      /waiting for hang/,
    );
  });
});

describe('freePort', () => {
  it('returns a port nothing listens on', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(await accepts(port)).toBe(false);
  });
});

describe('startRedis', () => {
  it('starts a working redis-server and stops it', async () => {
    const redis = await startRedis({ args: ['--maxmemory', '64mb'] });
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await client.connect();
      await client.set(`${PREFIX}k`, 'v');
      expect(await client.get(`${PREFIX}k`)).toBe('v');
      expect(await client.config('GET', 'maxmemory')).toEqual(['maxmemory', String(64 * 1024 * 1024)]);
      expect(await client.config('GET', 'save')).toEqual(['save', '']);
    } finally {
      client.disconnect();
    }
    await redis.stop();
    expect(await accepts(redis.port)).toBe(false);
    await redis.stop(); // idempotent
  });
});

describe('startFerret', () => {
  it('starts a working FerretDB with unique indexes and stops it', async () => {
    const ferret = await startFerret();
    expect(ferret.url).toBe(`mongodb://127.0.0.1:${ferret.port}/`);
    try {
      await withMongo(ferret.url, async (client) => {
        const users = client.db(DB_NAME).collection<{ email: string; name: string }>('users');
        await users.createIndex({ email: 1 }, { unique: true });
        await users.insertOne({ email: 'a@example.com', name: 'A' });
        expect(await users.findOne({ email: 'a@example.com' }, { projection: { _id: 0 } })).toEqual({
          email: 'a@example.com',
          name: 'A',
        });
        const dup = await users.insertOne({ email: 'a@example.com', name: 'B' }).then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(dup).toBeInstanceOf(MongoServerError);
        expect((dup as MongoServerError).code).toBe(11000);
        expect((dup as MongoServerError).message).toMatch(/E11000/);
      });
    } finally {
      await ferret.stop();
    }
    expect(await accepts(ferret.port)).toBe(false);
  });

  it('restarts a killed FerretDB on the same port with its data', async () => {
    const first = await startFerret();
    let current = first;
    try {
      await withMongo(first.url, (client) => client.db(DB_NAME).collection('kept').insertOne({ n: 1 }));
      await expect(first.restart()).rejects.toThrow(/still running/);
      await first.kill('SIGKILL');
      expect(await accepts(first.port)).toBe(false);
      current = await first.restart();
      expect(current.port).toBe(first.port);
      expect(await withMongo(current.url, (client) => client.db(DB_NAME).collection('kept').findOne({}, { projection: { _id: 0 } }))).toEqual({ n: 1 });
      await first.stop(); // the old handle no longer owns anything
      expect(await accepts(first.port)).toBe(true);
    } finally {
      await current.stop();
    }
    expect(await accepts(first.port)).toBe(false);
  });
});

describe('servers from global setup', () => {
  it('provides a working redisUrl', async () => {
    const client = new Redis(inject('redisUrl'), { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await client.connect();
      expect(await client.ping()).toBe('PONG');
      await client.set(`${PREFIX}shared`, '1', 'EX', 60);
      expect(await client.get(`${PREFIX}shared`)).toBe('1');
      await client.del(`${PREFIX}shared`);
    } finally {
      client.disconnect();
    }
  });

  it('provides a working mongoUrl', async () => {
    await withMongo(inject('mongoUrl'), async (client) => {
      const db = client.db(DB_NAME);
      await db.collection('things').insertOne({ n: 1 });
      expect(await db.collection('things').countDocuments({ n: 1 })).toBe(1);
      await db.dropDatabase();
    });
  });
});
