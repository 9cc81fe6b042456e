import { expect, it } from 'vitest';
import { createTokenSigner, createTokenVerifier, loadConfig, MemoryUserStore } from '@chatorbit/shared';
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
