// `orbitctl check`'s MongoDB step against a real FerretDB that enforces SCRAM (its experimental
// new authentication, with a user set up at start): `hello` with the right credential, a wrong one,
// and nothing listening. FerretDB is no replica set: it answers isWritablePrimary and no setName.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type SpawnedServer } from '@chatorbit/shared/testing';
import { askHello, credentialOf, helloResult, MongoAuthError } from './mongo.ts';
import { startFerretWithUser } from './testing/world.ts';

let ferret: SpawnedServer;
beforeAll(async () => {
  ferret = await startFerretWithUser('chatorbit', 'r1ght-Pass');
}, 60_000);
afterAll(() => ferret?.stop());

describe('MongoDB hello check', () => {
  const port = () => Number(new URL(ferret.url).port);

  it('reads the credential of a MONGO_URL with several hosts, as the chart writes it', () => {
    expect(credentialOf('mongodb://chatorbit:p%40ss@a-0.h:27017,a-1.h:27017,a-2.h:27017/?replicaSet=rs0&authSource=admin')).toEqual({ username: 'chatorbit', password: 'p@ss', authSource: 'admin' });
    expect(credentialOf('mongodb://u:p@h/chat?authMechanism=SCRAM-SHA-256')).toEqual({ username: 'u', password: 'p', authSource: 'chat', authMechanism: 'SCRAM-SHA-256' });
    expect(credentialOf('mongodb://h1,h2/')).toBeUndefined();
    expect(() => credentialOf('redis://h')).toThrow('not a mongodb:// URL');
  });

  it("answers with the service user's credential: FerretDB is a writable primary with no replica set", async () => {
    const view = await askHello('127.0.0.1', port(), { username: 'chatorbit', password: 'r1ght-Pass', authSource: 'admin' });
    expect(view).toEqual({ isWritablePrimary: true, secondary: false, hosts: [] });
    expect(helloResult('pod-0', view)).toEqual({ status: 'ok', detail: 'pod-0 is writable primary (no replica set name in its hello reply: a standalone server)' });
  });

  it('a wrong password is an authentication error', async () => {
    const err = await askHello('127.0.0.1', port(), { username: 'chatorbit', password: 'wrong', authSource: 'admin' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoAuthError);
    expect((err as Error).message).toMatch(/Authentication failed/);
  });

  it('nothing listening: a connection error, not an authentication one', async () => {
    const err = await askHello('127.0.0.1', await freePort(), { username: 'chatorbit', password: 'r1ght-Pass', authSource: 'admin' }, 1000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(MongoAuthError);
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
  });

  it('judges replica set replies: primary, secondary naming the primary, no primary', () => {
    const set = { setName: 'rs0', hosts: ['m-0:27017', 'm-1:27017', 'm-2:27017'] };
    expect(helloResult('m-0', { ...set, isWritablePrimary: true, secondary: false, me: 'm-0:27017', primary: 'm-0:27017' })).toEqual({ status: 'ok', detail: 'primary m-0:27017 of replica set rs0, 3 members; asked m-0' });
    expect(helloResult('m-1', { ...set, isWritablePrimary: false, secondary: true, primary: 'm-0:27017' })).toEqual({ status: 'ok', detail: 'primary m-0:27017 of replica set rs0, 3 members; asked m-1 (secondary)' });
    expect(helloResult('m-1', { ...set, isWritablePrimary: false, secondary: true })).toEqual({ status: 'fail', detail: 'replica set rs0 has no primary, 3 members; asked m-1' });
  });
});
