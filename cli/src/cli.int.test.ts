// orbitctl against the real services: the standalone (gateway, auth, user, chat node 1) and a
// second chat node in its own process, on real Redis and FerretDB. The CLI is the bundled binary,
// run as a child process; each test asserts its stdout (golden table and JSON) and exit code.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, TestClient, waitFor } from '@chatorbit/shared/testing';
import { SavedToken, type SessionResponse } from './tokens.ts';
import { ADMIN, buildBundle, login, runBin, stableAges, startWorld, tempDir, type Account, type World } from './testing/world.ts';

let world: World;
let bin: string;
const dir = tempDir('orbitctl-test-');
let alice: Account; // owner of lobby
let bob: Account; // the spammer
let carol: Account;
let dave: Account;
const sockets: TestClient[] = [];

/** orbitctl as the admin, against the gateway, with its own config dir. */
const orbitctl = (args: string[], env: Record<string, string | undefined> = {}, input?: string) =>
  runBin(bin, args, { ORBITCTL_SERVER: world.url, ORBITCTL_TOKEN: world.admin.token, XDG_CONFIG_HOME: join(dir.path, 'config'), ...env }, input);
const json = async (args: string[], env?: Record<string, string | undefined>) => {
  const run = await orbitctl([...args, '-o', 'json'], env);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Record<string, unknown> & { [k: string]: never };
};
const isType = (type: string) => (f: Record<string, unknown>) => f.type === type;

beforeAll(async () => {
  bin = buildBundle(dir.path);
  world = await startWorld({ redisUrl: inject('redisUrl'), mongoUrl: inject('mongoUrl'), name: 'cli', env: { PRESENCE_MEMBER_LIST_MAX: '4' } });
  const accounts = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((n) => world.signUp(n)));
  [alice, bob, carol, dave] = accounts as [Account, Account, Account, Account];
  const created = await fetch(`${world.url}/api/v1/rooms`, { method: 'POST', headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ room: 'lobby' }) });
  expect(created.status).toBe(201);
}, 120_000);

afterAll(async () => {
  for (const s of sockets) s.close();
  await world?.close();
  dir.remove();
});

/** A socket on chat node 2 (not the one behind the gateway), joined to `room`. */
async function joinOnNode2(user: Account, room: string) {
  const socket = await TestClient.connect(`${world.chat2.url.replace('http', 'ws')}/ws?token=${user.token}`);
  sockets.push(socket);
  await socket.request({ type: 'join', room }, isType('joined'));
  return socket;
}

interface Counts {
  viewers: number;
  users: number;
  guests: number;
}

/** The room list as the API has it now (every page). */
async function presenceRooms(): Promise<{ rooms: Array<Counts & { room: string }>; total: number }> {
  const rooms: Array<Counts & { room: string }> = [];
  let cursor: string | null = null;
  let total: number;
  do {
    const res = await fetch(`${world.url}/api/v1/rooms?limit=100${cursor ? `&cursor=${cursor}` : ''}`, { headers: { authorization: `Bearer ${world.admin.token}` } });
    const page = (await res.json()) as { rooms: Array<Counts & { room: string }>; total: number; nextCursor: string | null };
    rooms.push(...page.rooms);
    total = page.total;
    cursor = page.nextCursor;
  } while (cursor);
  return { rooms, total };
}

/** Waits until the room list is exactly this (presence settles within a heartbeat or two). */
async function waitForRooms(expected: Array<Counts & { room: string }>) {
  await waitFor(
    async () => {
      const { rooms } = await presenceRooms();
      if (JSON.stringify(rooms) !== JSON.stringify(expected)) throw new Error(`the list is ${JSON.stringify(rooms)}`);
      return true;
    },
    { timeoutMs: 10_000, intervalMs: 50, message: `the room list to be ${JSON.stringify(expected)}` },
  );
}

async function waitForPresence(room: string, expected: Counts) {
  await waitFor(
    async () => {
      const res = await fetch(`${world.url}/api/v1/rooms/${room}/presence`, { headers: { authorization: `Bearer ${world.admin.token}` } });
      const { viewers, users, guests } = (await res.json()) as Counts;
      return viewers === expected.viewers && users === expected.users && guests === expected.guests;
    },
    { timeoutMs: 10_000, intervalMs: 50, message: `presence in ${room} to be ${JSON.stringify(expected)}` },
  );
}

async function say(socket: TestClient, room: string, texts: string[]) {
  const acks = [];
  for (const [i, text] of texts.entries()) acks.push(await socket.request({ type: 'send', room, text, nonce: `${text}-${i}-${Date.now()}` }, isType('ack')));
  return acks as Array<{ id: string; seq: number }>;
}

describe('bans and timeouts', () => {
  it('bans with purge: the socket on the other chat node is banned, the messages purged; bans list shows it', async () => {
    const socket = await joinOnNode2(bob, 'lobby');
    await say(socket, 'lobby', ['buy cheap', 'buy more']);
    const run = await orbitctl(['ban', bob.id, '--room', 'lobby', '--reason', 'spam', '--purge']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toBe('bob banned from lobby permanently (spam); recent messages purged\n');
    expect(await socket.next(isType('banned'))).toMatchObject({ room: 'lobby', until: null, reason: 'spam' });
    const history = await json(['messages', 'list', 'lobby']);
    expect((history.messages as unknown as Array<{ user: { name: string } }>).filter((m) => m.user.name === 'bob')).toEqual([]);

    const table = await orbitctl(['bans', 'list', '--room', 'lobby']);
    expect(table.code).toBe(0);
    const header = 'USER  ROOM   EXPIRES IN  BY    AGE';
    expect(table.stdout).toMatch(new RegExp(`^${header} +REASON\\nbob   lobby  never       root  \\d+s +spam\\n$`));
    expect(stableAges(table.stdout)).toBe(['USER  ROOM  EXPIRES IN  BY  AGE  REASON', 'bob  lobby  never  root  <age>  spam', ''].join('\n'));
    const data = await json(['bans', 'list', '--room', 'lobby']);
    expect(data).toEqual({ bans: [{ userId: bob.id, username: 'bob', room: 'lobby', until: null, remainingSec: null, reason: 'spam', by: { id: world.admin.id, name: 'root' }, at: expect.any(Number) }] });
  });

  it('times out for a duration: exact seconds in JSON, a human countdown in the table', async () => {
    const run = await orbitctl(['timeout', dave.id, '--room', 'lobby', '--duration', '10m', '--reason', 'cool down']);
    expect(run.stdout).toBe('dave timed out in lobby for 10m (cool down)\n');
    const { bans } = (await json(['bans', 'list', '--room', 'lobby'])) as unknown as { bans: Array<{ username: string; remainingSec: number; until: number; at: number }> };
    const timeout = bans.find((b) => b.username === 'dave')!;
    expect(timeout.until - timeout.at).toBeGreaterThanOrEqual(600_000 - 1000);
    expect(timeout.remainingSec).toBeGreaterThan(590);
    expect(timeout.remainingSec).toBeLessThanOrEqual(600);
    const table = await orbitctl(['bans', 'list', '--room', 'lobby', '--no-headers']);
    expect(table.stdout).toMatch(/^dave\s+lobby\s+(10m|9m\d\ds)\s+root\s+\S+\s+cool down$/m);
    expect(table.stdout).not.toMatch(/USER/);
  });

  it('unbans, and says so when there is no ban (exit 3)', async () => {
    expect((await orbitctl(['unban', dave.id, '--room', 'lobby'])).stdout).toBe('dave unbanned in lobby\n');
    const again = await orbitctl(['unban', dave.id, '--room', 'lobby']);
    expect(again.code).toBe(3);
    expect(again.stderr).toBe('error: dave is not banned in lobby\nhint:  `orbitctl bans list --room lobby` lists the bans\n');
  });

  it('global bans (admins): ban, list, unban', async () => {
    expect((await orbitctl(['ban', carol.id, '--global', '--reason', 'raid'])).stdout).toBe('carol banned from every room permanently (raid)\n');
    const { bans } = (await json(['bans', 'list', '--global'])) as unknown as { bans: Array<{ username: string; room: null }> };
    expect(bans).toEqual([expect.objectContaining({ username: 'carol', room: null })]);
    expect((await orbitctl(['unban', carol.id, '--global'])).stdout).toBe('carol unbanned globally\n');
  });
});

describe('exit codes and hints', () => {
  it('2: usage errors, from orbitctl and from the server', async () => {
    const noRoom = await orbitctl(['ban', bob.id]);
    expect(noRoom).toMatchObject({ code: 2, stdout: '' });
    expect(noRoom.stderr).toMatch(/^error: ban: which room\?\nhint: {2}give --room R, or --global/);
    expect((await orbitctl(['timeout', bob.id, '--room', 'lobby'])).code).toBe(2);
    const badDuration = await orbitctl(['ban', bob.id, '--room', 'lobby', '--duration', 'soon']);
    expect(badDuration.code).toBe(2);
    expect(badDuration.stderr).toContain('invalid --duration "soon"');
    expect((await orbitctl(['ban', bob.id, '--room', 'lobby', '--duration', '15d'])).code).toBe(2);
    expect((await orbitctl(['frobnicate'])).code).toBe(2);
    expect((await orbitctl(['bans', 'list', '--room', 'lobby', '-o', 'xml'])).code).toBe(2);
    // The server refuses a pattern that could backtrack catastrophically: 400 → 2, its message shown.
    const regex = await orbitctl(['rooms', 'settings', 'set', 'lobby', '--blocked-pattern', '(a+)+$']);
    expect(regex.code).toBe(2);
    expect(regex.stderr).toMatch(/^error: blockedPatterns: .*\nhint: {2}fix the value named above/);
  });

  it('3: not found', async () => {
    const ghost = await orbitctl(['ban', 'ffffffffffffffffffffffff', '--room', 'lobby']);
    expect(ghost.code).toBe(3);
    expect(ghost.stderr).toMatch(/^error: user not found\nhint: /);
    const undo = await orbitctl(['audit', 'undo', 'ffffffffffffffffffffffff']);
    expect(undo).toMatchObject({ code: 3, stderr: 'error: no audit entry ffffffffffffffffffffffff\nhint:  `orbitctl audit` lists the entries and their ids\n' });
  });

  it('4: not logged in, a bad token, not allowed', async () => {
    const anonymous = await orbitctl(['bans', 'list', '--room', 'lobby'], { ORBITCTL_TOKEN: undefined });
    expect(anonymous).toMatchObject({ code: 4, stderr: 'error: not logged in\nhint:  log in first: `orbitctl login`, or pass --token / ORBITCTL_TOKEN\n' });
    const garbage = await orbitctl(['bans', 'list', '--room', 'lobby'], { ORBITCTL_TOKEN: 'nonsense' });
    expect(garbage.code).toBe(4);
    expect(garbage.stderr).toBe('error: not authenticated: the access token is invalid or expired\nhint:  the token from ORBITCTL_TOKEN is invalid or expired: run `orbitctl login` (or pass a fresh --token)\n');
    const notMod = await orbitctl(['ban', carol.id, '--room', 'lobby'], { ORBITCTL_TOKEN: dave.token });
    expect(notMod.code).toBe(4);
    expect(notMod.stderr).toMatch(/^error: forbidden: only admins and the owner or moderators of lobby may do this\nhint: {2}this needs an admin/);
  });

  it('5: unreachable; errors as JSON on stderr with -o json', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const down = await orbitctl(['bans', 'list', '--room', 'lobby'], { ORBITCTL_SERVER: closed });
    expect(down.code).toBe(5);
    expect(down.stderr).toBe(`error: cannot reach ChatOrbit at ${closed} (ECONNREFUSED)\nhint:  check that the server is running and that ORBITCTL_SERVER=${closed} is right; \`orbitctl check\` diagnoses a cluster\n`);
    const asJson = await orbitctl(['bans', 'list', '--room', 'lobby', '-o', 'json'], { ORBITCTL_SERVER: closed });
    expect(asJson.code).toBe(5);
    expect(JSON.parse(asJson.stderr)).toEqual({ error: { code: 'unreachable', message: expect.stringContaining('cannot reach'), hint: expect.any(String), exitCode: 5 } });
  });

  it('a server without a route: exit 1, saying which route and what to do', async () => {
    // The gateway answers 404 "no route" for a path it does not serve, as an older server would.
    const run = await orbitctl(['bans', 'list', '--global'], { ORBITCTL_SERVER: `${world.url}/not-chatorbit` });
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toBe(
      `error: the server at ${world.url}/not-chatorbit does not offer GET /api/v1/bans\nhint:  this needs a newer ChatOrbit on the server; upgrade the release (or check that --server points at the gateway)\n`,
    );
  });
});

describe('users: find, and USER given as a username', () => {
  it('users find: accounts by username prefix, golden table and JSON, paged past the first page', async () => {
    const table = await orbitctl(['users', 'find', 'da']);
    expect(table).toMatchObject({ code: 0, stderr: '' });
    expect(stableAges(table.stdout)).toBe(['USERNAME  ID  DISPLAY NAME  AGE  STATUS', `dave  ${dave.id}  -  <age>  active`, ''].join('\n'));
    const data = await json(['users', 'find', 'DA']);
    expect(data).toEqual({ users: [{ id: dave.id, username: 'dave', displayName: null, color: null, avatarUrl: null, createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }] });
    // In username order, at most --limit.
    const many = await Promise.all(['pagec', 'pagea', 'pageb'].map((n) => world.signUp(n)));
    const paged = (await json(['users', 'find', 'page', '--limit', '2'])) as unknown as { users: Array<{ id: string; username: string }> };
    expect(paged.users.map((u) => [u.username, u.id])).toEqual([
      ['pagea', many[1]!.id],
      ['pageb', many[2]!.id],
    ]);
    const none = await orbitctl(['users', 'find', 'zz']);
    expect(none).toEqual({ code: 0, stdout: '', stderr: 'No user\'s name starts with "zz".\n' });
  });

  it('ban, timeout, unban and roles take a username (any case, an @ allowed); an unknown one is exit 3 with suggestions', async () => {
    expect(await orbitctl(['timeout', 'Dave', '--room', 'lobby', '--duration', '1m'])).toEqual({ code: 0, stdout: 'dave timed out in lobby for 1m\n', stderr: '' });
    const { bans } = (await json(['bans', 'list', '--room', 'lobby'])) as unknown as { bans: Array<{ userId: string; username: string }> };
    expect(bans).toContainEqual(expect.objectContaining({ userId: dave.id, username: 'dave' }));
    expect(await orbitctl(['unban', '@dave', '--room', 'lobby'])).toEqual({ code: 0, stdout: 'dave unbanned in lobby\n', stderr: '' });
    expect(await orbitctl(['roles', 'grant', 'carol', 'vip', '--room', 'lobby'])).toEqual({ code: 0, stdout: 'carol is now a vip of lobby\n', stderr: '' });
    expect((await json(['roles', 'list', '--room', 'lobby'])).roles).toContainEqual({ userId: carol.id, username: 'carol', role: 'vip' });
    expect(await orbitctl(['roles', 'revoke', 'CAROL', 'vip', '--room', 'lobby'])).toEqual({ code: 0, stdout: 'carol is no longer a vip of lobby\n', stderr: '' });
    // A prefix of a username is not that user.
    const prefix = await orbitctl(['ban', 'car', '--room', 'lobby']);
    expect(prefix).toEqual({ code: 3, stdout: '', stderr: 'error: no user named "car"\nhint:  did you mean carol?\n' });
    const unknown = await orbitctl(['ban', 'nobody-like-this', '--room', 'lobby']);
    expect(unknown).toEqual({ code: 3, stdout: '', stderr: 'error: no user named "nobody-like-this"\nhint:  `orbitctl users find nob` lists similar names\n' });
    expect((await json(['bans', 'list', '--room', 'lobby'])).bans).not.toContainEqual(expect.objectContaining({ userId: carol.id }));
  });
});

describe('room settings, slow mode, rate limits', () => {
  it('slow mode on and off; settings get as a table, JSON and YAML', async () => {
    expect((await orbitctl(['rooms', 'slowmode', 'lobby', '10s'])).stdout).toBe('slow mode in lobby: 1 message per 10s per user (moderators exempt)\n');
    expect((await orbitctl(['rooms', 'settings', 'get', 'lobby'])).stdout).toBe(
      ['Slow mode:        1 message per 10s per user', 'Auto slow mode:   off', 'Blocked terms:    (none)', 'Blocked patterns: (none)', ''].join('\n'),
    );
    expect(await json(['rooms', 'settings', 'get', 'lobby'])).toEqual({ slowModeSec: 10, slowModeUntil: 0, autoSlowModeRate: 0, autoSlowModeSec: 5, autoSlowModeForSec: 60, blockedTerms: [], blockedPatterns: [] });
    expect((await orbitctl(['rooms', 'settings', 'get', 'lobby', '-o', 'yaml'])).stdout).toBe(
      'slowModeSec: 10\nslowModeUntil: 0\nautoSlowModeRate: 0\nautoSlowModeSec: 5\nautoSlowModeForSec: 60\nblockedTerms: []\nblockedPatterns: []\n',
    );
    expect((await orbitctl(['rooms', 'slowmode', 'lobby', 'off'])).stdout).toBe('slow mode in lobby: off\n');
    const set = await orbitctl(['rooms', 'settings', 'set', 'lobby', '--blocked-term', 'spoiler', '--blocked-term', 'ending', '--auto-slow-mode-rate', '50', '--auto-slow-mode', '5s', '--auto-slow-mode-for', '2m']);
    expect(set.stdout).toBe(['Slow mode:        off', 'Auto slow mode:   above 50 msg/s: 5s for 2m', 'Blocked terms:    spoiler, ending', 'Blocked patterns: (none)', ''].join('\n'));
    expect((await json(['rooms', 'settings', 'set', 'lobby', '--no-blocked-terms'])).blockedTerms).toEqual([]);
    expect((await orbitctl(['rooms', 'settings', 'set', 'lobby'])).code).toBe(2);
  });

  it('rate limits: the default, a room override, reset', async () => {
    expect((await orbitctl(['ratelimit', 'get'])).stdout).toBe(['Room:   (default for every room)', 'Limit:  no limit', 'Exempt: moderator', 'Source: the default (from the configuration)', ''].join('\n'));
    const set = await orbitctl(['ratelimit', 'set', '--room', 'lobby', '--messages', '5', '--per', '10s', '--exempt', 'moderator,vip']);
    expect(set.stdout).toBe(['Room:   lobby', 'Limit:  5 messages per 10s per user', 'Exempt: moderator, vip', "Source: the room's own", ''].join('\n'));
    expect(await json(['ratelimit', 'get', '--room', 'lobby'])).toEqual({ room: 'lobby', messages: 5, perSec: 10, exempt: ['moderator', 'vip'], source: 'room' });
    expect(await json(['ratelimit', 'reset', '--room', 'lobby'])).toMatchObject({ room: 'lobby', source: 'config' });
    expect((await orbitctl(['ratelimit', 'set', '--room', 'lobby', '--messages', '5'])).code).toBe(2);
    expect((await orbitctl(['ratelimit', 'set', '--room', 'lobby', '--messages', '5', '--per', '10s', '--exempt', 'owner'])).code).toBe(2);
    expect((await orbitctl(['ratelimit', 'reset'])).code).toBe(2);
    // The default rate limit is for admins only.
    expect((await orbitctl(['ratelimit', 'set', '--messages', '5', '--per', '10s'], { ORBITCTL_TOKEN: alice.token })).code).toBe(4);
  });

  it('simulate replays the room log through the GCRA: who would have been limited and how often', async () => {
    const socket = await joinOnNode2(carol, 'sim');
    const owner = await joinOnNode2(alice, 'sim');
    await fetch(`${world.url}/api/v1/rooms`, { method: 'POST', headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ room: 'sim' }) });
    const acks = await say(socket, 'sim', Array.from({ length: 12 }, (_, i) => `m${i}`));
    await say(owner, 'sim', ['a1', 'a2', 'a3']);
    // 5 per hour: a burst of 5, then one every 12 minutes; 12 quick messages → 7 refused.
    const run = await orbitctl(['ratelimit', 'simulate', '--room', 'sim', '--messages', '5', '--per', '1h', '--exempt', 'moderator']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.replace(/over \S+ \(/, 'over <span> (')).toBe(
      [
        'Simulation:',
        '  Room:             sim',
        '  Proposed limit:   5 messages per 1h per user (exempt: moderator)',
        `  Replayed:         15 messages from 2 users over <span> (seq 1–15)`,
        '  Would be limited: 7 messages from 1 users',
        '',
        'Users:',
        '  USER   MESSAGES  LIMITED  FIRST LIMITED AT',
        `  carol        12        7  seq ${acks[5]!.seq}`,
        '  alice         3   exempt  -',
        '',
      ].join('\n'),
    );
    // Without --exempt, the roles the room's limit exempts now (the configured default: moderator, so the owner).
    const data = await json(['ratelimit', 'simulate', '--room', 'sim', '--messages', '2', '--per', '1h']);
    expect(data).toMatchObject({ room: 'sim', limit: { messages: 2, perSec: 3600, exempt: ['moderator'] }, messages: 15, limitedMessages: 10, limitedUsers: 1, fromSeq: 1, toSeq: 15 });
    expect((await orbitctl(['ratelimit', 'simulate', '--room', 'sim', '--messages', '5', '--per', '1h', '--last', '3', '-o', 'json'])).stdout).toContain('"messages": 3,');
  });
});

describe('roles, audit, undo', () => {
  it('grant, list, revoke (the wrong role is not found)', async () => {
    expect((await orbitctl(['roles', 'grant', carol.id, 'moderator', '--room', 'lobby'])).stdout).toBe('carol is now a moderator of lobby\n');
    expect((await orbitctl(['roles', 'list', '--room', 'lobby'])).stdout).toBe(
      ['USER   ID                        ROLE', `alice  ${alice.id}  owner`, `carol  ${carol.id}  moderator`, ''].join('\n'),
    );
    const wrong = await orbitctl(['roles', 'revoke', carol.id, 'vip', '--room', 'lobby']);
    expect(wrong).toMatchObject({ code: 3, stderr: 'error: carol is not a vip of lobby (they are moderator)\nhint:  `orbitctl roles list --room lobby` shows who has which role\n' });
    expect((await orbitctl(['roles', 'grant', carol.id, 'admin', '--room', 'lobby'])).code).toBe(2);
    expect((await orbitctl(['roles', 'revoke', carol.id, '--room', 'lobby'])).stdout).toBe('carol is no longer a moderator of lobby\n');
  });

  it('audit lists what was done, filters, and undo lifts a ban', async () => {
    await orbitctl(['ban', dave.id, '--room', 'lobby', '--reason', 'flood']);
    const { entries } = (await json(['audit', '--room', 'lobby', '--action', 'ban'])) as unknown as { entries: Array<{ id: string; action: string; targetName: string; reason: string }> };
    expect(entries.map((e) => [e.action, e.targetName, e.reason])).toEqual([
      ['ban', 'dave', 'flood'],
      ['ban', 'bob', 'spam'],
    ]);
    const table = await orbitctl(['audit', '--room', 'lobby', '--action', 'ban', '--since', '1h']);
    expect(stableAges(table.stdout).replace(/[0-9a-f]{24}/g, '<id>')).toBe(
      ['ID  AGE  ACTOR  ACTION  ROOM  TARGET  DETAILS', '<id>  <age>  root  ban  lobby  dave  "flood"', '<id>  <age>  root  ban  lobby  bob  "spam" purged=2', ''].join('\n'),
    );
    const all = (await json(['audit', '--limit', '3'])) as unknown as { entries: unknown[] };
    expect(all.entries).toHaveLength(3);
    const undo = await orbitctl(['audit', 'undo', entries[0]!.id]);
    expect(undo.stdout).toBe(`undone: ban of dave in lobby (entry ${entries[0]!.id})\n`);
    const { bans } = (await json(['bans', 'list', '--room', 'lobby'])) as unknown as { bans: Array<{ username: string }> };
    expect(bans.map((b) => b.username)).toEqual(['bob']);
    const settingsEntry = ((await json(['audit', '--room', 'lobby', '--action', 'settings_set', '--limit', '1'])) as unknown as { entries: Array<{ id: string }> }).entries[0]!;
    expect((await orbitctl(['audit', 'undo', settingsEntry.id])).code).toBe(2);
  });
});

describe('rooms inspect, list, clear; messages', () => {
  beforeAll(async () => {
    // Presence is asserted exactly from here on: the sockets of the tests above go.
    for (const s of sockets.splice(0)) s.close();
    await waitForRooms([]);
  });

  it('inspect composes presence, members, settings, rate limit, roles, bans and recent messages', async () => {
    const socket = await joinOnNode2(dave, 'lobby');
    await say(socket, 'lobby', ['hello', 'there']);
    await waitForPresence('lobby', { viewers: 1, users: 1, guests: 0 });
    const data = (await json(['rooms', 'inspect', 'lobby', '--messages', '2'])) as unknown as Record<string, unknown>;
    expect(data).toMatchObject({
      room: 'lobby',
      presence: { viewers: 1, users: 1, guests: 0 },
      members: [{ userId: dave.id, name: 'dave', guest: false, role: null }],
      moreMembers: false,
      settings: { slowModeSec: 0 },
      rateLimit: { source: 'config' },
      roles: [{ userId: alice.id, username: 'alice', role: 'owner' }],
      bans: [{ username: 'bob', reason: 'spam' }],
      recentMessages: [{ text: 'there', user: { name: 'dave' } }, { text: 'hello' }],
      messageRate: { messagesLastMinute: 2, perSecond: 0.03, atLeast: false },
      unavailable: {},
    });
    const run = await orbitctl(['rooms', 'inspect', 'lobby', '--messages', '2']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^Room:\n {2}Name: +lobby\n {2}Viewers: +1 \(connections, over every chat node\)\n {2}Users: +1\n {2}Guests: +0\n {2}Message rate: +2 in the last minute \(0\.03\/s\)\n\n/);
    expect(run.stdout).toContain(`Members (1):\n  NAME  ID                        KIND  ROLE\n  dave  ${dave.id}  user  -\n`);
    expect(run.stdout).toMatch(/Settings:\n {2}Slow mode: +off\n/);
    expect(run.stdout).toMatch(/Rate limit:\n {2}Limit: +no limit\n/);
    expect(run.stdout).toMatch(/Roles:\n {2}USER +ID +ROLE\n {2}alice +[0-9a-f]{24} +owner\n/);
    expect(run.stdout).toMatch(/Bans:\n {2}USER +ROOM +EXPIRES IN +BY +AGE +REASON\n {2}bob +lobby +never +root +\S+ +spam\n/);
    expect(run.stdout).toMatch(/Recent messages \(2\):\n {2}SEQ +AGE +USER +ID +TEXT\n {2} *\d+ +\S+ +dave +[0-9a-f]{24} +there\n/);
    // Someone who may not see the bans still gets the rest, with bans n/a.
    const asDave = (await json(['rooms', 'inspect', 'lobby'], { ORBITCTL_TOKEN: dave.token })) as unknown as Record<string, unknown>;
    expect(asDave.bans).toBeNull();
    expect(asDave.unavailable).toEqual({ bans: 'forbidden: needs an admin or a moderator of the room' });
    socket.close();
    await waitForRooms([]);
  });

  it('rooms list: most viewers first (ties by name), per-node sums of users and guests; inspect: exact counts and the members, or n/a for a big room', async () => {
    const gateway = (user: { token: string }) => TestClient.connect(`${world.url.replace('http', 'ws')}/ws?token=${user.token}`);
    const node2 = (user: { token: string }) => TestClient.connect(`${world.chat2.url.replace('http', 'ws')}/ws?token=${user.token}`);
    const [guest1, guest2] = [await world.guest(), await world.guest()];
    const joins: Array<[Promise<TestClient>, string]> = [
      // stage: alice on both chat nodes, carol and a guest on node 2: 4 connections, 2 users and a guest.
      [gateway(alice), 'stage'], [node2(alice), 'stage'], [node2(carol), 'stage'], [node2(guest1), 'stage'],
      // arena: 5 connections, more than PRESENCE_MEMBER_LIST_MAX (4): dave on both nodes, bob twice on node 2.
      [gateway(dave), 'arena'], [gateway(dave), 'arena'], [node2(dave), 'arena'], [node2(bob), 'arena'], [node2(bob), 'arena'],
      // backstage: one guest through the gateway; greenroom: bob through the gateway.
      [gateway(guest2), 'backstage'], [gateway(bob), 'greenroom'],
    ];
    for (const [connecting, room] of joins) {
      const socket = await connecting;
      sockets.push(socket);
      await socket.request({ type: 'join', room }, isType('joined'));
    }
    // The room list sums each node's distinct users: alice (two nodes) counts twice in stage, dave in arena.
    const expected = [
      { room: 'arena', viewers: 5, users: 3, guests: 0 },
      { room: 'stage', viewers: 4, users: 3, guests: 1 },
      { room: 'backstage', viewers: 1, users: 0, guests: 1 },
      { room: 'greenroom', viewers: 1, users: 1, guests: 0 },
    ];
    await waitForRooms(expected);
    const table = await orbitctl(['rooms', 'list']);
    expect(table).toEqual({
      code: 0,
      stderr: '',
      stdout: ['ROOM       VIEWERS  USERS  GUESTS', 'arena            5      3       0', 'stage            4      3       1', 'backstage        1      0       1', 'greenroom        1      1       0', ''].join('\n'),
    });
    expect(await json(['rooms', 'list'])).toEqual({ rooms: expected, total: 4 });
    expect((await orbitctl(['rooms', 'list', '--sort', 'name', '--no-headers'])).stdout).toBe(
      ['arena      5  3  0', 'backstage  1  0  1', 'greenroom  1  1  0', 'stage      4  3  1', ''].join('\n'),
    );
    expect(await orbitctl(['rooms', 'list', '--limit', '2'])).toEqual({
      code: 0,
      stdout: ['ROOM   VIEWERS  USERS  GUESTS', 'arena        5      3       0', 'stage        4      3       1', ''].join('\n'),
      stderr: '(2 of 4 active rooms: --limit 4 shows them all)\n',
    });
    expect(await json(['rooms', 'list', '--limit', '2'])).toEqual({ rooms: expected.slice(0, 2), total: 4 });
    expect((await orbitctl(['rooms', 'list', '--limit', '0'])).code).toBe(2);

    // inspect of a room with a member list: exact users (alice once), each member once.
    const stage = (await json(['rooms', 'inspect', 'stage'])) as unknown as { presence: unknown; members: unknown[]; unavailable: unknown };
    expect(stage.presence).toEqual({ viewers: 4, users: 2, guests: 1 });
    const members = [
      { userId: alice.id, name: 'alice', guest: false, role: null },
      { userId: carol.id, name: 'carol', guest: false, role: null },
      { userId: guest1.id, name: guest1.name, guest: true, role: null },
    ].sort((a, b) => a.userId.localeCompare(b.userId));
    expect(stage.members).toEqual(members);
    expect(stage.unavailable).toEqual({});
    const stageTable = await orbitctl(['rooms', 'inspect', 'stage']);
    expect(stageTable).toMatchObject({ code: 0, stderr: '' });
    expect(stageTable.stdout).toBe(
      [
        'Room:',
        '  Name:         stage',
        '  Viewers:      4 (connections, over every chat node)',
        '  Users:        2',
        '  Guests:       1',
        '  Message rate: 0 in the last minute (0/s)',
        '',
        'Members (3):',
        '  NAME          ID                        KIND   ROLE',
        ...members.map((m) => `  ${m.name.padEnd(12)}  ${m.userId}  ${m.guest ? 'guest' : 'user '}  -`),
        '',
        'Settings:',
        '  Slow mode:        off',
        '  Auto slow mode:   off',
        '  Blocked terms:    (none)',
        '  Blocked patterns: (none)',
        '',
        'Rate limit:',
        '  Limit:  no limit',
        '  Exempt: moderator',
        '  Source: the default (from the configuration)',
        '',
        'Roles:',
        '  no owner, moderators or VIPs',
        '',
        'Bans:',
        '  none',
        '',
        'Recent messages (0):',
        '  none',
        '',
      ].join('\n'),
    );
    // A room above PRESENCE_MEMBER_LIST_MAX: no member list, users and guests as per-node sums (said so).
    const arena = (await json(['rooms', 'inspect', 'arena'])) as unknown as Record<string, unknown>;
    expect(arena).toMatchObject({ presence: { viewers: 5, users: 3, guests: 0 }, members: null, moreMembers: null });
    expect(arena.unavailable).toEqual({ members: 'too many viewers for a member list (the room has 5 viewers; member lists are kept for rooms of at most 4)' });
    const arenaTable = await orbitctl(['rooms', 'inspect', 'arena']);
    expect(arenaTable.stdout).toMatch(
      /^Room:\n {2}Name: +arena\n {2}Viewers: +5 \(connections, over every chat node\)\n {2}Users: +3 \(at most: someone on two chat nodes counts twice\)\n {2}Guests: +0 \(at most: someone on two chat nodes counts twice\)\n {2}Message rate: +0 in the last minute \(0\/s\)\n\nMembers:\n {2}n\/a \(too many viewers for a member list \(the room has 5 viewers; member lists are kept for rooms of at most 4\)\)\n\nSettings:/,
    );
  });

  it('rooms list follows the pages of the room list (at most 100 rooms a page)', async () => {
    const many = await TestClient.connect(`${world.chat2.url.replace('http', 'ws')}/ws?token=${carol.token}`);
    const names = Array.from({ length: 101 }, (_, i) => `page-${String(i).padStart(3, '0')}`);
    for (const room of names) await many.request({ type: 'join', room }, isType('joined'));
    await waitFor(async () => (await presenceRooms()).total === 105, { timeoutMs: 10_000, intervalMs: 50, message: '105 active rooms' });
    const all = (await json(['rooms', 'list', '--limit', '200'])) as unknown as { rooms: Array<{ room: string; viewers: number }>; total: number };
    expect(all.total).toBe(105);
    expect(all.rooms.map((r) => r.room)).toEqual(['arena', 'stage', 'backstage', 'greenroom', ...names.slice(0, 101)].sort((a, b) => {
      const viewers = (r: string) => ({ arena: 5, stage: 4 })[r] ?? 1;
      return viewers(b) - viewers(a) || (a < b ? -1 : 1);
    }));
    const first = await orbitctl(['rooms', 'list', '--no-headers']);
    expect(first.stdout.trimEnd().split('\n')).toHaveLength(50);
    expect(first.stderr).toBe('(50 of 105 active rooms: --limit 105 shows them all)\n');
    many.close();
    await waitFor(async () => (await presenceRooms()).total === 4, { timeoutMs: 10_000, intervalMs: 50, message: 'the 101 rooms to empty' });
  });

  it('messages list and delete; rooms clear asks for --yes without a terminal', async () => {
    const { messages } = (await json(['messages', 'list', 'lobby', '--limit', '1'])) as unknown as { messages: Array<{ id: string; text: string }> };
    expect(messages[0]!.text).toBe('there');
    expect((await orbitctl(['messages', 'delete', 'lobby', messages[0]!.id])).stdout).toBe(`message ${messages[0]!.id} deleted from lobby\n`);
    const noYes = await orbitctl(['rooms', 'clear', 'lobby']);
    expect(noYes).toMatchObject({ code: 2, stderr: 'error: Clear the history of lobby for everyone? needs confirmation\nhint:  add --yes to confirm without a terminal\n' });
    expect((await orbitctl(['rooms', 'clear', 'lobby', '--yes'])).stdout).toMatch(/^lobby cleared: messages up to seq \d+ are hidden\n$/);
    const empty = await orbitctl(['messages', 'list', 'lobby']);
    expect(empty).toMatchObject({ code: 0, stdout: '', stderr: 'No messages in lobby.\n' });
  });

  it('fits tables to the terminal width (COLUMNS when not a TTY)', async () => {
    await orbitctl(['timeout', dave.id, '--room', 'lobby', '--duration', '1h', '--reason', 'a very long reason that will not fit in a narrow terminal at all']);
    const narrow = await orbitctl(['bans', 'list', '--room', 'lobby'], { COLUMNS: '60' });
    for (const line of narrow.stdout.trimEnd().split('\n')) expect(line.length).toBeLessThanOrEqual(60);
    expect(narrow.stdout).toMatch(/ a very long reason \S*…\n/);
    await orbitctl(['unban', dave.id, '--room', 'lobby']);
  });
});

describe('on a terminal', () => {
  /** The binary on a real pseudo-terminal (util-linux `script`). */
  const onTty = (args: string[], env: Record<string, string> = {}) =>
    runBin('script', ['-qec', [bin, ...args].map((a) => `'${a}'`).join(' '), '/dev/null'], { ORBITCTL_SERVER: world.url, ORBITCTL_TOKEN: world.admin.token, XDG_CONFIG_HOME: join(dir.path, 'config'), TERM: 'xterm', ...env });

  it('colours on a TTY, never with NO_COLOR; progress shows on the terminal only', async () => {
    const coloured = await onTty(['roles', 'list', '--room', 'lobby']);
    expect(coloured.stdout).toContain('\u001b[1mUSER   ID                        ROLE\u001b[22m');
    const plain = await onTty(['roles', 'list', '--room', 'lobby'], { NO_COLOR: '1' });
    expect(plain.stdout).not.toContain('\u001b[');
    expect(plain.stdout).toContain('USER   ID                        ROLE');
    // simulate reports its progress on the terminal (and clears it); never in a pipe.
    const sim = await onTty(['ratelimit', 'simulate', '--room', 'sim', '--messages', '5', '--per', '1h'], { NO_COLOR: '1' });
    expect(sim.stdout).toContain('reading the history of sim: 15 messages…');
    const piped = await orbitctl(['ratelimit', 'simulate', '--room', 'sim', '--messages', '5', '--per', '1h']);
    expect(piped.stderr).toBe('');
  });
});

describe('login and contexts; saved tokens refresh by themselves', () => {
  interface SavedContext {
    name: string;
    server?: string;
    token?: string;
    expiresAt?: number;
    refreshToken?: string;
    refreshExpiresAt?: number;
    user?: { id: string; username: string };
  }
  const home = join(dir.path, 'login');
  const file = join(home, 'orbitctl', 'config.json');
  /** Neither --server nor a token: the current context decides. */
  const noServer = { ORBITCTL_TOKEN: undefined, ORBITCTL_SERVER: undefined, XDG_CONFIG_HOME: home };
  const saved = () => JSON.parse(readFileSync(file, 'utf8')) as { currentContext: string; contexts: SavedContext[] };
  const savedContext = () => saved().contexts.find((c) => c.name === 'local')!;
  /** Replaces the saved context "local" (the current one) with these fields. */
  const save = (fields: Partial<SavedContext>) => {
    mkdirSync(join(home, 'orbitctl'), { recursive: true, mode: 0o700 });
    writeFileSync(file, JSON.stringify({ currentContext: 'local', contexts: [{ name: 'local', server: world.url, user: { id: world.admin.id, username: 'root' }, ...fields }] }), { mode: 0o600 });
  };
  const refresh = (refreshToken: string) => fetch(`${world.url}/api/v1/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken }) });
  const HOUR = 3_600_000;

  it('logs in, saves both tokens mode 0600, and uses them; get-contexts, use-context', async () => {
    const env = { ORBITCTL_TOKEN: undefined, XDG_CONFIG_HOME: home };
    const wrong = await orbitctl(['login', '--username', ADMIN.username, '--password-stdin'], env, 'not the password\n');
    expect(wrong).toMatchObject({ code: 4, stderr: 'error: wrong username or password for root\nhint:  check them and try again; an admin can reset a password\n' });
    expect((await orbitctl(['login', '--username', 'root'], env)).code).toBe(2); // no password, no terminal
    const run = await orbitctl(['login', '--username', ADMIN.username, '--password-stdin', '--name', 'local'], env, `${ADMIN.password}\n`);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`logged in to ${world.url} as root; context "local" is now current (token valid 15m, refreshed by itself for 30d unused)\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'orbitctl')).mode & 0o777).toBe(0o700);
    const context = savedContext();
    expect(context).toEqual({
      name: 'local',
      server: world.url,
      token: expect.stringMatching(/^eyJ/),
      expiresAt: expect.any(Number),
      refreshToken: expect.stringMatching(/^[\w-]{43}$/),
      refreshExpiresAt: expect.any(Number),
      user: { id: world.admin.id, username: 'root' },
    });
    expect(context.refreshExpiresAt! - Date.now()).toBeGreaterThan(30 * 24 * HOUR - 60_000);

    // The saved context is used with neither --server nor a token.
    expect((await orbitctl(['bans', 'list', '--global'], noServer)).code).toBe(0);
    const contexts = await orbitctl(['config', 'get-contexts'], noServer);
    expect(contexts.stdout.replace(/valid \S+/, 'valid <ttl>')).toBe(['CURRENT  NAME   SERVER                  USER  TOKEN', `*        local  ${world.url.padEnd(22)}  root  valid <ttl>`, ''].join('\n'));
    const listed = JSON.stringify(await json(['config', 'get-contexts'], noServer));
    expect(listed).not.toContain(context.token);
    expect(listed).not.toContain(context.refreshToken);
    expect((await orbitctl(['config', 'use-context', 'nope'], noServer)).code).toBe(3);
    expect((await orbitctl(['config', 'use-context', 'local'], noServer)).stdout).toBe('switched to context "local"\n');
    expect((await orbitctl(['config', 'current-context'], noServer)).stdout).toBe('local\n');
    expect((await orbitctl(['config', 'delete-context', 'nope'], noServer)).code).toBe(3);
    expect((await orbitctl(['config', 'delete-context', 'local'], noServer)).stdout).toBe('deleted context "local"\n');
    expect(saved()).toEqual({ contexts: [] });
    expect((await orbitctl(['config', 'current-context'], noServer)).code).toBe(3);
  });

  it('a refused access token (401) is refreshed once, the command retried, and the rotated refresh token saved', async () => {
    const session = await login(world.url, ADMIN.username, ADMIN.password);
    // Not known to be expired (expiresAt ahead), so the server's 401 is what triggers the refresh.
    save({ token: 'garbage', expiresAt: Date.now() + HOUR, refreshToken: session.refreshToken });
    const run = await orbitctl(['bans', 'list', '--global', '-o', 'json'], noServer);
    expect(run).toEqual({ code: 0, stdout: '{\n  "bans": []\n}\n', stderr: '' });
    const after = savedContext();
    expect(after.refreshToken).toMatch(/^[\w-]{43}$/);
    expect(after.refreshToken).not.toBe(session.refreshToken);
    expect(after.token).toMatch(/^eyJ/);
    expect(after.expiresAt! - Date.now()).toBeGreaterThan(14 * 60_000);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // The new access token works as it is: no refresh this time.
    expect((await orbitctl(['bans', 'list', '--global'], noServer)).code).toBe(0);
    expect(savedContext().refreshToken).toBe(after.refreshToken);
    // The same through --server: the context saved for that server refreshes too.
    save({ token: 'garbage', expiresAt: Date.now() + HOUR, refreshToken: after.refreshToken });
    expect((await orbitctl(['bans', 'list', '--global'], { ...noServer, ORBITCTL_SERVER: world.url })).code).toBe(0);
    expect(savedContext().refreshToken).not.toBe(after.refreshToken);
  });

  it('an access token known to have expired is refreshed before it is sent', async () => {
    const session = await login(world.url, ADMIN.username, ADMIN.password);
    // A good access token, but saved as expired: orbitctl refreshes without trying it.
    save({ token: session.token, expiresAt: Date.now() - 1000, refreshToken: session.refreshToken });
    expect((await orbitctl(['rooms', 'settings', 'get', 'lobby'], noServer)).code).toBe(0);
    const after = savedContext();
    expect(after.refreshToken).not.toBe(session.refreshToken);
    expect(after.token).not.toBe(session.token);
    expect(after.expiresAt).toBeGreaterThan(Date.now());
    const contexts = await orbitctl(['config', 'get-contexts', '-o', 'json'], noServer);
    expect(JSON.parse(contexts.stdout).contexts[0]).toMatchObject({ token: expect.stringMatching(/^valid /), refreshable: true });
    save({ token: session.token, expiresAt: Date.now() - 1000, refreshToken: 'x' });
    expect((await orbitctl(['config', 'get-contexts', '--no-headers'], noServer)).stdout).toMatch(/ root +refreshes when used\n$/);
  });

  it('one refresh for the requests of one run, and one for orbitctl processes running at once: the session survives', async () => {
    const session = await login(world.url, ADMIN.username, ADMIN.password);
    // rooms inspect sends seven requests at once; all get 401 with this token.
    save({ token: 'garbage', expiresAt: Date.now() + HOUR, refreshToken: session.refreshToken });
    const inspect = await orbitctl(['rooms', 'inspect', 'lobby'], noServer);
    expect(inspect).toMatchObject({ code: 0, stderr: '' });
    const afterInspect = savedContext().refreshToken!;
    // Six processes with the same refused token all succeed (had two of them spent one refresh
    // token, auth would have revoked the session and failed the others; the test above makes
    // that race certain, here process start-up spreads them out).
    save({ token: 'garbage', expiresAt: Date.now() + HOUR, refreshToken: afterInspect });
    const runs = await Promise.all(Array.from({ length: 6 }, () => orbitctl(['bans', 'list', '--global'], noServer)));
    expect(runs.map((r) => [r.code, r.stderr])).toEqual(Array.from({ length: 6 }, () => [0, 'No global bans.\n']));
    const last = savedContext().refreshToken!;
    expect(last).not.toBe(afterInspect);
    expect(existsSync(`${file}.lock`)).toBe(false);
    // The session is alive: its latest refresh token still works.
    const res = await refresh(last);
    expect(res.status).toBe(200);
  });

  it('the config lock: savers refreshing at the same moment spend the refresh token once, the others take the new token', async () => {
    const session = await login(world.url, ADMIN.username, ADMIN.password);
    save({ token: 'garbage', expiresAt: Date.now() + HOUR, refreshToken: session.refreshToken });
    let refreshes = 0;
    // Eight SavedTokens, as eight orbitctl processes would have, each with the refused token read
    // from the file, all renewing at once.
    const savers = Array.from({ length: 8 }, () =>
      new SavedToken({
        path: file,
        context: savedContext(),
        refresh: async (refreshToken) => {
          refreshes++;
          const res = await refresh(refreshToken);
          if (res.status !== 200) throw new Error(`refresh refused: ${res.status} ${await res.text()}`);
          return (await res.json()) as SessionResponse;
        },
      }),
    );
    const tokens = await Promise.all(savers.map((s) => s.renew('garbage')));
    expect(refreshes).toBe(1);
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).toBe(savedContext().token);
    const me = await fetch(`${world.url}/api/v1/users/me`, { headers: { authorization: `Bearer ${tokens[0]}` } });
    expect(me.status).toBe(200);
    expect((await refresh(savedContext().refreshToken!)).status).toBe(200);
  });

  it('a refused refresh ends the session: "log in again", exit 4, and the refresh token is forgotten', async () => {
    const session = await login(world.url, ADMIN.username, ADMIN.password);
    save({ token: 'garbage', expiresAt: Date.now() + HOUR, refreshToken: session.refreshToken });
    expect((await orbitctl(['bans', 'list', '--global'], noServer)).code).toBe(0);
    const rotated = savedContext().refreshToken!;
    // Someone presents the spent token again: auth revokes the whole session.
    expect((await refresh(session.refreshToken)).status).toBe(401);
    save({ token: 'garbage', expiresAt: Date.now() + HOUR, refreshToken: rotated });
    const ended = await orbitctl(['bans', 'list', '--global'], noServer);
    expect(ended).toEqual({
      code: 4,
      stdout: '',
      stderr: `error: the session saved in context local has ended: the refresh token has been revoked\nhint:  log in again: \`orbitctl login --server ${world.url}\`\n`,
    });
    expect(savedContext()).not.toHaveProperty('refreshToken');
    expect(savedContext().token).toBe('garbage');
    const again = await orbitctl(['bans', 'list', '--global', '-o', 'json'], noServer);
    expect(again.code).toBe(4);
    expect(JSON.parse(again.stderr)).toEqual({
      error: {
        code: 'token_expired',
        message: 'the token saved in context local is no longer accepted and there is no refresh token to renew it',
        hint: `log in again: \`orbitctl login --server ${world.url}\``,
        exitCode: 4,
      },
    });
    // An expired token without a refresh token says when it expired.
    save({ token: session.token, expiresAt: Date.now() - 1000 });
    const expired = await orbitctl(['bans', 'list', '--global'], noServer);
    expect(expired.code).toBe(4);
    expect(expired.stderr).toMatch(/^error: the token saved in context local expired at \d{4}-\d\d-\d\dT.*Z\nhint: {2}log in again: `orbitctl login --server http:\/\/127\.0\.0\.1:\d+`\n$/);
    expect((await orbitctl(['config', 'get-contexts', '--no-headers'], noServer)).stdout).toMatch(/ root +expired\n$/);
  });

  it('an explicit token is never refreshed: --token and ORBITCTL_TOKEN are used as given', async () => {
    const session = await login(world.url, ADMIN.username, ADMIN.password);
    save({ token: 'garbage', expiresAt: Date.now() + HOUR, refreshToken: session.refreshToken });
    const run = await orbitctl(['bans', 'list', '--global', '--token', 'nonsense'], noServer);
    expect(run.code).toBe(4);
    expect(run.stderr).toBe('error: not authenticated: the access token is invalid or expired\nhint:  the token from --token is invalid or expired: run `orbitctl login` (or pass a fresh --token)\n');
    expect(savedContext().refreshToken).toBe(session.refreshToken);
  });
});

describe('check, version, completion', () => {
  it('check with --server: gateway, JWKS, token, a WebSocket round trip, metrics', async () => {
    const data = (await json(['check'])) as unknown as { checks: Array<{ name: string; status: string }>; worst: string };
    expect(data.checks.map((c) => [c.name, c.status])).toEqual([
      ['gateway ready', 'ok'],
      ['JWKS served', 'ok'],
      ['operator token accepted', 'ok'],
      ['WebSocket round trip through the gateway', 'ok'],
      ['metrics endpoint', 'ok'],
    ]);
    expect(data.worst).toBe('ok');
    const table = await orbitctl(['check']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^chatorbit\n---------\n✔ gateway ready: http:\/\/127\.0\.0\.1:\d+ \(ORBITCTL_SERVER=.*\)\n✔ JWKS served: 1 key\(s\): \S+ EdDSA\n✔ operator token accepted: as root\n✔ WebSocket round trip through the gateway: joined orbitctl-check, sent and received a message in \d+ ms\n✔ metrics endpoint: \d+ metric families\n\nStatus check results are ✔\n$/);
    const anonymous = await orbitctl(['check'], { ORBITCTL_TOKEN: undefined });
    expect(anonymous.code).toBe(0);
    expect(anonymous.stdout).toContain('‼ operator token accepted: no token: authenticated checks skipped\n    hint: log in');
    const closed = `http://127.0.0.1:${await freePort()}`;
    const down = await orbitctl(['check'], { ORBITCTL_SERVER: closed });
    expect(down.code).toBe(5);
    expect(down.stdout).toContain(`✘ gateway ready: cannot reach ${closed}`);
  });

  it('version shows the client and the server', async () => {
    const run = await orbitctl(['version']);
    expect(run.stdout).toMatch(/^Client: orbitctl 0\.1\.0 \(node v24\.\d+\.\d+\)\nServer: http:\/\/127\.0\.0\.1:\d+: ChatOrbit API, API v1, ready\n$/);
    expect(await json(['version'])).toEqual({ client: { version: '0.1.0', node: process.version }, server: { url: world.url, api: '1', title: 'ChatOrbit API', status: 'ready' } });
    const down = await orbitctl(['version'], { ORBITCTL_SERVER: `http://127.0.0.1:${await freePort()}` });
    expect(down).toMatchObject({ code: 5, stdout: expect.stringMatching(/^Client: orbitctl 0\.1\.0/) });
  });

  it('bash completion completes commands, subcommands and choices', async () => {
    const file = join(dir.path, 'completion.bash');
    writeFileSync(file, (await orbitctl(['completion', 'bash'])).stdout);
    const complete = (words: string[]) => {
      const line = words.map((w) => `'${w}'`).join(' ');
      return runBin('bash', ['-c', `source ${file}; COMP_WORDS=(${line}); COMP_CWORD=${words.length - 1}; _orbitctl; echo "\${COMPREPLY[@]}"`], {});
    };
    expect((await complete(['orbitctl', 'rooms', 's'])).stdout).toBe('slowmode settings\n');
    expect((await complete(['orbitctl', 'roles', 'grant', 'bob', 'm'])).stdout).toBe('moderator\n');
    expect((await complete(['orbitctl', 'ti'])).stdout).toBe('timeout\n');
    expect((await complete(['orbitctl', 'bans', 'list', '-o', 'y'])).stdout).toBe('yaml\n');
    expect((await orbitctl(['completion', 'zsh'])).stdout).toContain('bashcompinit');
    expect((await orbitctl(['completion', 'fish'])).stdout).toContain("complete -c orbitctl -n '__fish_seen_subcommand_from rooms' -a 'slowmode'");
    expect((await orbitctl(['completion', 'tcsh'])).code).toBe(2);
  });
});
