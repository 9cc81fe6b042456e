import { Option } from 'commander';
import { formatAge, formatDuration, parseDuration } from '../duration.ts';
import { notFoundError, usageError } from '../errors.ts';
import { ApiError } from '../http.ts';
import type { Column } from '../output.ts';
import { act, enc, scope, type Registrar } from './common.ts';

export interface BanView {
  userId: string;
  room: string | null;
  until: number | null;
  remainingSec: number | null;
  reason: string;
  by: { id: string; name: string };
  at: number;
}

type BanRow = BanView & { username: string };

const MAX_TIMEOUT_SEC = 14 * 86_400;

export const banColumns: Array<Column<BanRow>> = [
  { header: 'USER', get: (b) => b.username },
  { header: 'ROOM', get: (b) => b.room ?? '(global)' },
  { header: 'EXPIRES IN', get: (b) => (b.remainingSec === null ? 'never' : formatDuration(b.remainingSec)) },
  { header: 'BY', get: (b) => b.by.name },
  { header: 'AGE', get: (b) => formatAge(b.at) },
  { header: 'REASON', get: (b) => b.reason, flex: true },
];

interface BanOpts {
  room?: string;
  global?: boolean;
  duration?: string;
  reason?: string;
  purge?: boolean;
}

export function registerBans({ program, io }: Registrar) {
  const banHandler = (kind: 'ban' | 'timeout') =>
    act(io, async (cli, user: string, opts: BanOpts) => {
      const room = scope(opts, kind);
      if (kind === 'timeout' && !opts.duration) throw usageError('timeout needs --duration', 'e.g. `orbitctl timeout bob --room lobby --duration 10m` (up to 14d); `orbitctl ban` bans for good');
      const durationSec = opts.duration ? parseDuration(opts.duration, '--duration') : undefined;
      if (durationSec !== undefined && (durationSec < 1 || durationSec > MAX_TIMEOUT_SEC)) {
        throw usageError(`--duration ${opts.duration} is out of range`, 'a timeout lasts from 1s to 14d; leave --duration out for a permanent ban');
      }
      if (opts.purge && room === null) throw usageError('--purge applies to room bans only', 'drop --purge, or ban in a room with --room R --purge');
      const target = await cli.users.resolve(user);
      const api = await cli.api();
      if (opts.purge) cli.progress(`banning ${target.username} and purging their recent messages from ${room}…`);
      const body = { userId: target.id, ...(durationSec !== undefined ? { durationSec } : {}), ...(opts.reason ? { reason: opts.reason } : {}), ...(opts.purge ? { purge: true } : {}) };
      const { ban } = await api.post<{ ban: BanView }>(room === null ? '/api/v1/bans' : `/api/v1/rooms/${enc(room)}/bans`, body);
      const where = room === null ? 'every room' : room;
      const what = ban.until === null ? `banned from ${where} permanently` : `timed out in ${where} for ${formatDuration(durationSec!)}`;
      cli.print({ ban: { ...ban, username: target.username } }, [
        { lines: [`${target.username} ${what}${ban.reason ? ` (${ban.reason})` : ''}${opts.purge ? '; recent messages purged' : ''}`] },
      ]);
    });

  const common = (command: ReturnType<typeof program.command>) =>
    command
      .argument('<user>', 'username or 24-hex user id')
      .option('--room <room>', 'the room')
      .option('--global', 'every room (admins)')
      .option('--reason <text>', 'why; shown to the user and in the audit log')
      .option('--purge', "also remove the user's messages still in the room's recent history");

  common(program.command('ban').summary('ban a user from a room (or every room)').description('Ban a user from a room (--room) or from every room (--global, admins). Without --duration the ban is permanent; with it, it is a timeout. Their sockets on every chat node leave the room at once.'))
    .option('--duration <duration>', 'a timeout: 30s, 10m, 2h, up to 14d')
    .action(banHandler('ban'));
  common(program.command('timeout').summary('time a user out of a room (a ban with a duration)').description('A ban that ends by itself after --duration (1s to 14d).'))
    .addOption(new Option('--duration <duration>', 'how long: 30s, 10m, 2h, up to 14d'))
    .action(banHandler('timeout'));

  program
    .command('unban')
    .summary("lift a user's ban or timeout")
    .argument('<user>', 'username or 24-hex user id')
    .option('--room <room>', 'the room')
    .option('--global', 'the global ban (admins)')
    .action(
      act(io, async (cli, user: string, opts: { room?: string; global?: boolean }) => {
        const room = scope(opts, 'unban');
        const target = await cli.users.resolve(user);
        const api = await cli.api();
        try {
          await api.delete(room === null ? `/api/v1/bans/${target.id}` : `/api/v1/rooms/${enc(room)}/bans/${target.id}`);
        } catch (err) {
          if (err instanceof ApiError && err.status === 404 && !err.missingRoute) {
            throw notFoundError(`${target.username} is not banned ${room === null ? 'globally' : `in ${room}`}`, `\`orbitctl bans list ${room === null ? '--global' : `--room ${room}`}\` lists the bans`);
          }
          throw err;
        }
        cli.print({ unbanned: { userId: target.id, username: target.username, room } }, [{ lines: [`${target.username} unbanned ${room === null ? 'globally' : `in ${room}`}`] }]);
      }),
    );

  const bans = program.command('bans').summary('list bans and timeouts');
  bans
    .command('list')
    .summary("a room's bans and timeouts, or the global ones")
    .option('--room <room>', 'the room')
    .option('--global', 'global bans (admins)')
    .action(
      act(io, async (cli, opts: { room?: string; global?: boolean }) => {
        if (!opts.room && !opts.global) throw usageError('bans list: which bans?', 'give --room R, --global, or both');
        const api = await cli.api();
        const found: BanView[] = [];
        if (opts.room) found.push(...(await api.get<{ bans: BanView[] }>(`/api/v1/rooms/${enc(opts.room)}/bans`)).bans);
        if (opts.global) found.push(...(await api.get<{ bans: BanView[] }>('/api/v1/bans')).bans);
        const names = await cli.users.nameAll(found.map((b) => b.userId));
        const rows = found.map((b) => ({ ...b, username: names.get(b.userId) ?? b.userId }));
        cli.print({ bans: rows }, [{ table: { columns: banColumns, rows, empty: opts.room && opts.global ? `No bans in ${opts.room} and no global bans.` : opts.room ? `No bans in ${opts.room}.` : 'No global bans.' } }]);
      }),
    );
}
