import { expect, it } from 'vitest';
import { createRedis, createTokenSigner, createTokenVerifier, loadConfig, MemoryUserStore, RedisDeactivations, redisKeys } from '@chatorbit/shared';
import { freePort, TestClient } from '@chatorbit/shared/testing';
import type { AddressInfo } from 'node:net';
import { buildChatApp } from '../app.ts';
import { chatConfigSchema } from '../config.ts';
import { createChatEngine } from '../engine.ts';

it('closes a socket with 1013 (try again later), not 4401, when the JWKS cannot be fetched', async () => {
  const settings = { issuer: 'chatorbit', audience: 'chatorbit' };
  const config = loadConfig(chatConfigSchema, { LOG_LEVEL: 'silent' });
  const engine = await createChatEngine(config, 'n', {});
  const verifier = createTokenVerifier(settings, new URL(`http://127.0.0.1:${await freePort()}/jwks.json`));
  const app = await buildChatApp(config, { nodeId: 'n', verifier, users: new MemoryUserStore(), ...engine });
  await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const token = await (await createTokenSigner(settings)).sign({ userId: '0123456789abcdef01234567', name: 'a', roles: [] }, 60);
    const client = new TestClient(`ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/ws?token=${token}`);
    expect(await client.waitClosed()).toEqual({ code: 1013, reason: 'auth keys unavailable' });
  } finally {
    await app.close();
    await engine.close();
  }
});

it('closes a socket with 1013 (try again later), not 4403, when the deactivation set cannot be read', async () => {
  const settings = { issuer: 'chatorbit', audience: 'chatorbit' };
  const config = loadConfig(chatConfigSchema, { LOG_LEVEL: 'silent' });
  const engine = await createChatEngine(config, 'n', {});
  // Redis on a port nobody listens on: every read of the set fails.
  const redis = createRedis(`redis://127.0.0.1:${await freePort()}`, 'dead');
  redis.on('error', () => {});
  const signer = await createTokenSigner(settings);
  const deactivations = new RedisDeactivations(redis, redisKeys('dead'), 'n');
  const app = await buildChatApp(config, { nodeId: 'n', verifier: createTokenVerifier(settings, signer.jwks()), users: new MemoryUserStore(), ...engine, deactivations });
  await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const token = await signer.sign({ userId: '0123456789abcdef01234567', name: 'a', roles: [] }, 60);
    const client = new TestClient(`ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/ws?token=${token}`);
    expect(await client.waitClosed(10_000)).toEqual({ code: 1013, reason: 'try again later' });
    // A guest has no account to check: it connects.
    const guest = await TestClient.connect(`ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/ws?token=${await signer.sign({ userId: 'guest-1', name: 'g', roles: ['guest'] }, 60)}`);
    expect(await guest.request({ type: 'ping' }, (f) => f.type === 'pong')).toEqual({ type: 'pong' });
    guest.close();
  } finally {
    await app.close();
    await engine.close();
    redis.disconnect();
  }
});
