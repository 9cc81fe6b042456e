import { Option } from 'commander';
import { CliError, ExitCode, usageError } from '../errors.ts';
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

/** GET /api/v1/rooms/:room/presence (the presence issue): viewers = sockets, users = accounts. */
interface Presence {
  viewers: number;
  users: number;
  guests: number;
  nodes?: Array<{ node?: string; nodeId?: string; connections?: number; viewers?: number }>;
}

interface ActiveRoom {
  room?: string;
  name?: string;
  viewers: number;
  users?: number;
  guests?: number;
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

const roleColumns: Array<Column<RoleEntry & { username: string }>> = [
  { header: 'USER', get: (r) => r.username },
  { header: 'ID', get: (r) => r.userId },
  { header: 'ROLE', get: (r) => r.role },
];

type Part<T> = { ok: true; value: T } | { ok: false; reason: string };

/** One piece of `rooms inspect`: a missing route (an older server) or a 403 is "n/a", not a failure. */
async function part<T>(load: () => Promise<T>, missing: string): Promise<Part<T>> {
  try {
    return { ok: true, value: await load() };
  } catch (err) {
    if (err instanceof ApiError && err.missingRoute) return { ok: false, reason: missing };
    if (err instanceof ApiError && err.status === 403) return { ok: false, reason: 'forbidden: needs an admin or a moderator of the room' };
    throw err;
  }
}

/** Messages in the last minute, from the newest page of history. */
function messageRate(messages: Message[], now = Date.now()) {
  const recent = messages.filter((m) => m.ts >= now - 60_000).length;
  return { messagesLastMinute: recent, perSecond: Math.round((recent / 60) * 100) / 100, atLeast: recent > 0 && recent === messages.length && messages.length >= 100 };
}

async function inspect(cli: Cli, room: string, count: number) {
  const api = await cli.api();
  const path = `/api/v1/rooms/${enc(room)}`;
  const [presence, settings, rateLimit, history, bans, roles] = await Promise.all([
    part(() => api.get<Presence>(`${path}/presence`), 'this server has no presence route (GET /api/v1/rooms/:room/presence)'),
    api.get<RoomSettings>(`${path}/settings`),
    api.get<RateLimitView>(`${path}/ratelimit`),
    api.get<HistoryPage>(`${path}/messages`, { limit: 100 }),
    part(() => api.get<{ bans: BanView[] }>(`${path}/bans`).then((r) => r.bans), 'this server has no room bans route'),
    api.get<{ roles: RoleEntry[] }>(`${path}/roles`).then((r) => r.roles),
  ]);
  const names = await cli.users.nameAll([...roles.map((r) => r.userId), ...(bans.ok ? bans.value.map((b) => b.userId) : [])]);
  const rate = messageRate(history.messages);
  const recent = history.messages.slice(0, count);
  const unavailable: Record<string, string> = {};
  if (!presence.ok) unavailable.presence = presence.reason;
  if (!bans.ok) unavailable.bans = bans.reason;
  const banRows = bans.ok ? bans.value.map((b) => ({ ...b, username: names.get(b.userId) ?? b.userId })) : null;
  const roleRows = roles.map((r) => ({ ...r, username: names.get(r.userId) ?? r.userId }));
  const data = {
    room,
    presence: presence.ok ? presence.value : null,
    messageRate: rate,
    settings,
    rateLimit,
    roles: roleRows,
    bans: banRows,
    recentMessages: recent,
    unavailable,
  };
  const na = (reason: string) => `n/a (${reason})`;
  const nodes = presence.ok && presence.value.nodes ? presence.value.nodes.map((n) => `${n.node ?? n.nodeId ?? '?'}=${n.connections ?? n.viewers ?? '?'}`).join(', ') : undefined;
  const sections: Section[] = [
    {
      title: 'Room',
      fields: [
        ['Name', room],
        ['Viewers', presence.ok ? String(presence.value.viewers) : na(presence.reason)],
        ['Users', presence.ok ? `${presence.value.users} signed in, ${presence.value.guests} guests` : 'n/a'],
        ['Connections per node', nodes ?? 'n/a'],
        ['Message rate', `${rate.atLeast ? 'at least ' : ''}${rate.messagesLastMinute} in the last minute (${rate.perSecond}/s)`],
      ],
    },
    { title: 'Settings', fields: settingsFields(settings) },
    { title: 'Rate limit', fields: rateLimitFields(rateLimit) },
    { title: 'Roles', table: { columns: roleColumns, rows: roleRows, empty: 'no owner, moderators or VIPs' } },
    banRows ? { title: 'Bans', table: { columns: banColumns, rows: banRows, empty: 'none' } } : { title: 'Bans', lines: [na(bans.ok ? '' : bans.reason)] },
    { title: `Recent messages (${recent.length})`, table: { columns: messageColumns, rows: recent, empty: 'none' } },
  ];
  cli.print(data, sections);
  for (const reason of Object.values(unavailable)) if (reason.startsWith('this server')) cli.warn(`${reason}: shown as n/a`);
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
    .summary('active rooms, busiest first')
    .addOption(new Option('--sort <key>', 'order').choices(['viewers', 'name']).default('viewers'))
    .option('--limit <n>', 'at most this many rooms', '50')
    .action(
      act(io, async (cli, opts: { sort: 'viewers' | 'name'; limit: string }) => {
        const api = await cli.api();
        let body: { rooms: ActiveRoom[] };
        try {
          body = await api.get<{ rooms: ActiveRoom[] }>('/api/v1/rooms', { limit: Number(opts.limit) || 50 });
        } catch (err) {
          if (err instanceof ApiError && err.missingRoute) {
            throw new CliError(ExitCode.error, 'this server cannot list rooms (no GET /api/v1/rooms: it comes with room presence)', 'upgrade ChatOrbit; meanwhile `orbitctl rooms inspect ROOM` shows one room you know');
          }
          throw err;
        }
        const rows = body.rooms.map((r) => ({ room: r.room ?? r.name ?? '?', viewers: r.viewers, users: r.users ?? null, guests: r.guests ?? null }));
        rows.sort((a, b) => (opts.sort === 'name' ? a.room.localeCompare(b.room) : b.viewers - a.viewers || a.room.localeCompare(b.room)));
        const columns: Array<Column<(typeof rows)[number]>> = [
          { header: 'ROOM', get: (r) => r.room, flex: true },
          { header: 'VIEWERS', get: (r) => String(r.viewers), align: 'right' },
          { header: 'USERS', get: (r) => (r.users === null ? '-' : String(r.users)), align: 'right' },
          { header: 'GUESTS', get: (r) => (r.guests === null ? '-' : String(r.guests)), align: 'right' },
        ];
        cli.print({ rooms: rows }, [{ table: { columns, rows, empty: 'No active rooms.' } }]);
      }),
    );

  rooms
    .command('inspect')
    .summary('everything about one room: viewers, rate, settings, rate limit, roles, bans, recent messages')
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
