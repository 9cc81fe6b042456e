import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userStoreCases, type OpenUserStore } from './testing/user-stores.ts';

describe.each(userStoreCases)('the %s user store', (_kind, open) => {
  let store: OpenUserStore;

  beforeAll(async () => {
    store = await open(`store_test_${process.pid}_${Date.now()}`);
    for (const name of ['ann', 'Anna', 'annette', 'bob', 'an_z']) {
      await store.users.create({ username: name, email: `${name}@example.com`, passwordHash: 'h' });
    }
  });
  afterAll(async () => {
    await store?.close();
  });

  it('starts an account with an empty profile, active', async () => {
    const ann = await store.users.findByLogin('ann');
    expect(ann).toMatchObject({ displayName: null, color: null, avatarUrl: null, deactivatedAt: null });
  });

  it('patches only the profile fields given, and null clears one', async () => {
    const ann = (await store.users.findByLogin('ann'))!;
    const patched = await store.users.updateProfile(ann.id, { displayName: 'Ann ✨', color: '#ff0000' });
    expect(patched).toMatchObject({ displayName: 'Ann ✨', color: '#ff0000', avatarUrl: null });
    const cleared = await store.users.updateProfile(ann.id, { displayName: null, avatarUrl: 'https://example.com/a.png' });
    expect(cleared).toMatchObject({ displayName: null, color: '#ff0000', avatarUrl: 'https://example.com/a.png' });
    expect(await store.users.findById(ann.id)).toMatchObject({ color: '#ff0000', avatarUrl: 'https://example.com/a.png' });
    expect(await store.users.updateProfile('0123456789abcdef01234567', { color: null })).toBeUndefined();
  });

  it('replaces the password hash', async () => {
    const bob = (await store.users.findByLogin('bob'))!;
    expect((await store.users.setPasswordHash(bob.id, 'h2'))?.passwordHash).toBe('h2');
    expect((await store.users.findByLogin('bob@example.com'))?.passwordHash).toBe('h2');
  });

  it('deactivates once (the first date stays) and reactivates', async () => {
    const bob = (await store.users.findByLogin('bob'))!;
    const first = (await store.users.setDeactivated(bob.id, true))!.deactivatedAt;
    expect(first).toBeInstanceOf(Date);
    expect((await store.users.setDeactivated(bob.id, true))!.deactivatedAt?.getTime()).toBe(first?.getTime());
    expect((await store.users.setDeactivated(bob.id, false))!.deactivatedAt).toBeNull();
    expect(await store.users.setDeactivated('0123456789abcdef01234567', true)).toBeUndefined();
  });

  it('searches by username prefix, case-insensitively, in pages', async () => {
    const names = async (prefix: string, limit: number, after?: string) => {
      const page = await store.users.search(prefix, { limit, ...(after === undefined ? {} : { after }) });
      return { names: page.users.map((u) => u.username), next: page.next };
    };
    expect(await names('AN', 10)).toEqual({ names: ['an_z', 'ann', 'Anna', 'annette'], next: undefined });
    const first = await names('an', 2);
    expect(first.names).toEqual(['an_z', 'ann']);
    const second = await names('an', 2, first.next);
    expect(second.names).toEqual(['Anna', 'annette']);
    expect(second.next).toBeUndefined();
    expect((await names('zz', 5)).names).toEqual([]);
    // Characters that mean something in a regex are only characters here.
    expect((await names('.*', 5)).names).toEqual([]);
  });
});
