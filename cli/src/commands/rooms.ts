import { Option } from 'commander';
import { usageError } from '../errors.ts';
import type { Cli } from '../cli.ts';
import { formatAge, formatDuration, parseDuration } from '../duration.ts';
import { ApiError } from '../http.ts';
import type { Column, Section } from '../output.ts';
import { banColumns, type BanView } from './bans.ts';
import { act, enc, list, type Registrar } from './common.ts';
import { rateLimitFields, type RateLimitView } from './ratelimit.ts';

export interface RoomSettings {
  slowModeSec: number;
  slowModeUntil: number;
  autoSlowModeRate: number;
  autoSlowModeSec: number;
  autoSlowModeForSec: number;
  blockedTerms: string[];
  blockedPatterns: string[];
}

export interface Message {
  id: string;
  room: string;
  seq: number;
  user: { id: string; name: string };
  text: string;
  ts: number;
}

export interface HistoryPage {
  messages: Message[];
  nextBefore: number | null;
  nextAfter: number | null;
}

interface RoleEntry {
  userId: string;
  role: string;
}

/** GET /api/v1/rooms/:room/presence: viewers are sockets over every chat node, users and guests people. */
interface Presence {
  room: string;
  viewers: number;
  users: number;
  guests: number;
}

/** GET /api/v1/rooms: the active rooms, most viewers first; users and guests are per-node sums there. */
interface RoomsPage {
  rooms: Array<{ room: string; viewers: number; users: number; guests: number }>;
  total: number;
  nextCursor: string | null;
}

/** GET /api/v1/rooms/:room/members (rooms up to PRESENCE_MEMBER_LIST_MAX viewers; 409 above). */
interface Member {
  userId: string;
  name: string;
  guest: boolean;
  role: string | null;
}
interface MembersPage {
  room: string;
  viewers: number;
  members: Member[];
  nextCursor: string | null;
}

export function settingsFields(s: RoomSettings, now = Date.now()): Array<[string, string]> {
  const slowOn = s.slowModeSec > 0 && (s.slowModeUntil === 0 || now < s.slowModeUntil);
  return [
    ['Slow mode', slowOn ? `1 message per ${formatDuration(s.slowModeSec)} per user${s.slowModeUntil ? ` (automatic, ends in ${formatDuration((s.slowModeUntil - now) / 1000)})` : ''}` : 'off'],
    ['Auto slow mode', s.autoSlowModeRate > 0 ? `above ${s.autoSlowModeRate} msg/s: ${formatDuration(s.autoSlowModeSec)} for ${formatDuration(s.autoSlowModeForSec)}` : 'off'],
    ['Blocked terms', list(s.blockedTerms)],
    ['Blocked patterns', list(s.blockedPatterns)],
  ];
}

export const messageColumns: Array<Column<Message>> = [
  { header: 'SEQ', get: (m) => String(m.seq), align: 'right' },
  { header: 'AGE', get: (m) => formatAge(m.ts) },
  { header: 'USER', get: (m) => m.user.name },
  { header: 'ID', get: (m) => m.id },
  { header: 'TEXT', get: (m) => m.text, flex: true },
];

const memberColumns: Array<Column<Member>> = [
  { header: 'NAME', get: (m) => m.name },
  { header: 'ID', get: (m) => m.userId },
  { header: 'KIND', get: (m) => (m.guest ? 'guest' : 'user') },
  { header: 'ROLE', get: (m) => m.role ?? '-' },
];

const roleColumns: Array<Column<RoleEntry & { username: string }>> = [
  { header: 'USER', get: (r) => r.username },
  { header: 'ID', get: (r) => r.userId },
  { header: 'ROLE', get: (r) => r.role },
];

type Part<T> = { ok: true; value: T } | { ok: false; reason: string };

/** One piece of `rooms inspect` that may be refused: a 403 (or, for members, a 409) is "n/a", not a failure. */
async function part<T>(load: () => Promise<T>): Promise<Part<T>> {
  try {
    return { ok: true, value: await load() };
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) return { ok: false, reason: 'forbidden: needs an admin or a moderator of the room' };
    if (err instanceof ApiError && err.status === 409 && err.code === 'room_too_large') return { ok: false, reason: `too many viewers for a member list (${err.message})` };
    throw err;
  }
}

/** Members shown by `rooms inspect` at most; the JSON says how many more there are. */
const MEMBERS_SHOWN = 50;

/** Messages in the last minute, from the newest page of history. */
function messageRate(messages: Message[], now = Date.now()) {
  const recent = messages.filter((m) => m.ts >= now - 60_000).length;
  return { messagesLastMinute: recent, perSecond: Math.round((recent / 60) * 100) / 100, atLeast: recent > 0 && recent === messages.length && messages.length >= 100 };
}

async function inspect(cli: Cli, room: string, count: number) {
  const api = await cli.api();
  const path = `/api/v1/rooms/${enc(room)}`;
  const [presence, members, settings, rateLimit, history, bans, roles] = await Promise.all([
    api.get<Presence>(`${path}/presence`),
    part(() => api.get<MembersPage>(`${path}/members`, { limit: MEMBERS_SHOWN })),
    api.get<RoomSettings>(`${path}/settings`),
    api.get<RateLimitView>(`${path}/ratelimit`),
    api.get<HistoryPage>(`${path}/messages`, { limit: 100 }),
    part(() => api.get<{ bans: BanView[] }>(`${path}/bans`).then((r) => r.bans)),
    api.get<{ roles: RoleEntry[] }>(`${path}/roles`).then((r) => r.roles),
  ]);
  const names = await cli.users.nameAll([...roles.map((r) => r.userId), ...(bans.ok ? bans.value.map((b) => b.userId) : [])]);
  const rate = messageRate(history.messages);
  const recent = history.messages.slice(0, count);
  const unavailable: Record<string, string> = {};
  if (!members.ok) unavailable.members = members.reason;
  if (!bans.ok) unavailable.bans = bans.reason;
  const banRows = bans.ok ? bans.value.map((b) => ({ ...b, username: names.get(b.userId) ?? b.userId })) : null;
  const roleRows = roles.map((r) => ({ ...r, username: names.get(r.userId) ?? r.userId }));
  const memberRows = members.ok ? members.value.members : null;
  const data = {
    room,
    presence: { viewers: presence.viewers, users: presence.users, guests: presence.guests },
    members: memberRows,
    moreMembers: members.ok ? members.value.nextCursor !== null : null,
    messageRate: rate,
    settings,
    rateLimit,
    roles: roleRows,
    bans: banRows,
    recentMessages: recent,
    unavailable,
  };
  const na = (reason: string) => `n/a (${reason})`;
  // Users and guests are exact where the room has a member list; above that, per-node sums.
  const atMost = members.ok ? '' : ' (at most: someone on two chat nodes counts twice)';
  const sections: Section[] = [
    {
      title: 'Room',
      fields: [
        ['Name', room],
        ['Viewers', `${presence.viewers} (connections, over every chat node)`],
        ['Users', `${presence.users}${atMost}`],
        ['Guests', `${presence.guests}${atMost}`],
        ['Message rate', `${rate.atLeast ? 'at least ' : ''}${rate.messagesLastMinute} in the last minute (${rate.perSecond}/s)`],
      ],
    },
    memberRows
      ? { title: `Members (${memberRows.length}${data.moreMembers ? ` of ${presence.users + presence.guests}` : ''})`, table: { columns: memberColumns, rows: memberRows, empty: 'nobody' } }
      : { title: 'Members', lines: [na(members.ok ? '' : members.reason)] },
    { title: 'Settings', fields: settingsFields(settings) },
    { title: 'Rate limit', fields: rateLimitFields(rateLimit) },
    { title: 'Roles', table: { columns: roleColumns, rows: roleRows, empty: 'no owner, moderators or VIPs' } },
    banRows ? { title: 'Bans', table: { columns: banColumns, rows: banRows, empty: 'none' } } : { title: 'Bans', lines: [na(bans.ok ? '' : bans.reason)] },
    { title: `Recent messages (${recent.length})`, table: { columns: messageColumns, rows: recent, empty: 'none' } },
  ];
  cli.print(data, sections);
}

interface SettingsOpts {
  slowMode?: string;
  autoSlowModeRate?: string;
  autoSlowMode?: string;
  autoSlowModeFor?: string;
  blockedTerm?: string[];
  blockedTerms?: boolean;
  blockedPattern?: string[];
  blockedPatterns?: boolean;
}

const slowModeSec = (value: string) => (/^(off|0)$/i.test(value) ? 0 : parseDuration(value, 'slow mode'));

function settingsChange(opts: SettingsOpts): Partial<RoomSettings> {
  const change: Partial<RoomSettings> = {};
  if (opts.slowMode !== undefined) change.slowModeSec = slowModeSec(opts.slowMode);
  if (opts.autoSlowModeRate !== undefined) {
    const rate = /^off$/i.test(opts.autoSlowModeRate) ? 0 : Number(opts.autoSlowModeRate);
    if (!Number.isInteger(rate) || rate < 0) throw usageError(`--auto-slow-mode-rate ${opts.autoSlowModeRate}: not a whole number`, 'messages per second above which slow mode turns on; 0 or off = never');
    change.autoSlowModeRate = rate;
  }
  if (opts.autoSlowMode !== undefined) change.autoSlowModeSec = parseDuration(opts.autoSlowMode, '--auto-slow-mode');
  if (opts.autoSlowModeFor !== undefined) change.autoSlowModeForSec = parseDuration(opts.autoSlowModeFor, '--auto-slow-mode-for');
  if (opts.blockedTerm) change.blockedTerms = opts.blockedTerm;
  else if (opts.blockedTerms === false) change.blockedTerms = [];
  if (opts.blockedPattern) change.blockedPatterns = opts.blockedPattern;
  else if (opts.blockedPatterns === false) change.blockedPatterns = [];
  return change;
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

export function registerRooms({ program, io }: Registrar) {
  const rooms = program.command('rooms').summary('inspect rooms and change their settings');

  rooms
    .command('list')
    .summary('active rooms, most viewers first')
    .description("Rooms with at least one viewer, from the chat nodes' presence counts (refreshed every PRESENCE_HEARTBEAT_MS). VIEWERS counts connections; USERS and GUESTS are summed over chat nodes, so someone connected to two nodes counts twice here (`rooms inspect` has exact numbers for rooms with a member list).")
    .addOption(new Option('--sort <key>', 'order').choices(['viewers', 'name']).default('viewers'))
    .option('--limit <n>', 'at most this many rooms', '50')
    .action(
      act(io, async (cli, opts: { sort: 'viewers' | 'name'; limit: string }) => {
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1) throw usageError(`--limit ${opts.limit}: not a positive whole number`, 'e.g. --limit 200');
        const api = await cli.api();
        // The busiest `limit` rooms, a page of at most 100 at a time (--sort name orders those).
        const rows: RoomsPage['rooms'] = [];
        let total: number;
        let cursor: string | undefined;
        do {
          const page = await api.get<RoomsPage>('/api/v1/rooms', { limit: Math.min(100, limit - rows.length), cursor });
          rows.push(...page.rooms);
          total = page.total;
          cursor = page.nextCursor ?? undefined;
        } while (cursor && rows.length < limit);
        // Pages are positions in a ranking that moves: a room may show on two pages.
        const unique = [...new Map(rows.map((r) => [r.room, r])).values()];
        // Names in code-point order, as the server breaks ties.
        const byName = (a: { room: string }, b: { room: string }) => (a.room < b.room ? -1 : a.room > b.room ? 1 : 0);
        unique.sort((a, b) => (opts.sort === 'name' ? byName(a, b) : b.viewers - a.viewers || byName(a, b)));
        const columns: Array<Column<(typeof unique)[number]>> = [
          { header: 'ROOM', get: (r) => r.room, flex: true },
          { header: 'VIEWERS', get: (r) => String(r.viewers), align: 'right' },
          { header: 'USERS', get: (r) => String(r.users), align: 'right' },
          { header: 'GUESTS', get: (r) => String(r.guests), align: 'right' },
        ];
        cli.print({ rooms: unique, total }, [{ table: { columns, rows: unique, empty: 'No active rooms.' } }]);
        if (cli.out.format === 'table' && total > unique.length) cli.note(`(${unique.length} of ${total} active rooms: --limit ${total} shows them all)`);
      }),
    );

  rooms
    .command('inspect')
    .summary('everything about one room: viewers, members, rate, settings, rate limit, roles, bans, recent messages')
    .argument('<room>')
    .option('--messages <n>', 'how many recent messages to show', '10')
    .action(
      act(io, async (cli, room: string, opts: { messages: string }) => {
        const count = Number(opts.messages);
        if (!Number.isInteger(count) || count < 0 || count > 100) throw usageError(`--messages ${opts.messages}: not 0..100`, 'e.g. --messages 20');
        await inspect(cli, room, count);
      }),
    );

  rooms
    .command('clear')
    .summary("hide a room's whole history from everyone")
    .argument('<room>')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(
      act(io, async (cli, room: string, opts: { yes?: boolean }) => {
        await cli.confirm(`Clear the history of ${room} for everyone?`, opts.yes);
        const api = await cli.api();
        const { clearedUpTo } = await api.post<{ clearedUpTo: number }>(`/api/v1/rooms/${enc(room)}/clear`);
        cli.print({ room, clearedUpTo }, [{ lines: [`${room} cleared: messages up to seq ${clearedUpTo} are hidden`] }]);
      }),
    );

  rooms
    .command('slowmode')
    .summary('turn slow mode on (one message per DURATION per user) or off')
    .argument('<room>')
    .argument('<duration|off>', 'e.g. 10s, 1m, or off')
    .action(
      act(io, async (cli, room: string, value: string) => {
        const sec = slowModeSec(value);
        if (sec > 86_400) throw usageError(`slow mode ${value} is too long`, 'slow mode is at most 1d between messages');
        const api = await cli.api();
        const settings = await api.put<RoomSettings>(`/api/v1/rooms/${enc(room)}/settings`, { slowModeSec: sec });
        cli.print(settings, [{ lines: [sec === 0 ? `slow mode in ${room}: off` : `slow mode in ${room}: 1 message per ${formatDuration(sec)} per user (moderators exempt)`] }]);
      }),
    );

  const settings = rooms.command('settings').summary("a room's settings: slow mode, automatic slow mode, blocked terms");
  settings
    .command('get')
    .argument('<room>')
    .action(
      act(io, async (cli, room: string) => {
        const api = await cli.api();
        const s = await api.get<RoomSettings>(`/api/v1/rooms/${enc(room)}/settings`);
        cli.print(s, [{ fields: settingsFields(s) }]);
      }),
    );
  settings
    .command('set')
    .summary('change some settings; the others stay')
    .argument('<room>')
    .option('--slow-mode <duration|off>', 'one message per this long per user')
    .option('--auto-slow-mode-rate <n|off>', 'turn slow mode on by itself above this many messages per second')
    .option('--auto-slow-mode <duration>', 'the slow mode it turns on')
    .option('--auto-slow-mode-for <duration>', 'for how long')
    .option('--blocked-term <term>', 'a blocked word or phrase (repeat it; replaces the list)', collect)
    .option('--no-blocked-terms', 'clear the blocked terms')
    .option('--blocked-pattern <regex>', 'a blocked regular expression (repeat it; replaces the list)', collect)
    .option('--no-blocked-patterns', 'clear the blocked patterns')
    .action(
      act(io, async (cli, room: string, opts: SettingsOpts) => {
        const change = settingsChange(opts);
        if (Object.keys(change).length === 0) throw usageError('nothing to change', 'give at least one setting, e.g. `--slow-mode 10s` or `--blocked-term spoiler`; `orbitctl rooms settings set --help` lists them');
        const api = await cli.api();
        const s = await api.put<RoomSettings>(`/api/v1/rooms/${enc(room)}/settings`, change);
        cli.print(s, [{ fields: settingsFields(s) }]);
      }),
    );

  const messages = program.command('messages').summary("read a room's history, delete a message");
  messages
    .command('list')
    .summary('a page of history, newest first')
    .argument('<room>')
    .option('--limit <n>', '1..100', '20')
    .option('--before <seq>', 'older than this seq')
    .action(
      act(io, async (cli, room: string, opts: { limit: string; before?: string }) => {
        const api = await cli.api();
        const page = await api.get<HistoryPage>(`/api/v1/rooms/${enc(room)}/messages`, { limit: opts.limit, before: opts.before });
        cli.print(page, [{ table: { columns: messageColumns, rows: page.messages, empty: `No messages in ${room}.` } }]);
      }),
    );
  messages
    .command('delete')
    .summary('delete one message (hidden from history and from every member)')
    .argument('<room>')
    .argument('<id>', "the message's 24-hex id (`orbitctl messages list ROOM` shows it)")
    .action(
      act(io, async (cli, room: string, id: string) => {
        const api = await cli.api();
        await api.delete(`/api/v1/rooms/${enc(room)}/messages/${enc(id)}`);
        cli.print({ deleted: { room, id } }, [{ lines: [`message ${id} deleted from ${room}`] }]);
      }),
    );
}
