import { Option } from 'commander';
import { formatDuration, parseDuration } from '../duration.ts';
import { usageError } from '../errors.ts';
import type { Column } from '../output.ts';
import { simulate, type SimulatedUser } from '../simulate.ts';
import { act, enc, list, type Registrar } from './common.ts';
import type { HistoryPage, Message } from './rooms.ts';

export interface RateLimitView {
  messages: number;
  perSec: number;
  exempt: string[];
  source: 'room' | 'default' | 'config';
}

const sources = { room: "the room's own", default: 'the default (set at run time)', config: 'the default (from the configuration)' } as const;

export const describeLimit = (l: { messages: number; perSec: number }) => (l.messages === 0 ? 'no limit' : `${l.messages} messages per ${formatDuration(l.perSec)} per user`);

export function rateLimitFields(l: RateLimitView): Array<[string, string]> {
  return [
    ['Limit', describeLimit(l)],
    ['Exempt', list(l.exempt)],
    ['Source', sources[l.source] ?? l.source],
  ];
}

const exemptable = ['moderator', 'vip'];

function parseLimit(opts: { messages?: string; per?: string; exempt?: string }) {
  if (opts.messages === undefined || opts.per === undefined) throw usageError('a rate limit needs --messages and --per', 'e.g. `--messages 5 --per 10s` (5 messages per 10 seconds per user; --messages 0 = no limit)');
  const messages = Number(opts.messages);
  if (!Number.isInteger(messages) || messages < 0 || messages > 10_000) throw usageError(`--messages ${opts.messages}: not a whole number from 0 to 10000`, '0 turns the limit off');
  const perSec = parseDuration(opts.per, '--per');
  if (perSec < 1 || perSec > 86_400) throw usageError(`--per ${opts.per} is out of range`, 'from 1s to 1d');
  const exempt = opts.exempt === undefined ? undefined : opts.exempt.split(',').map((r) => r.trim()).filter(Boolean);
  for (const role of exempt ?? []) if (!exemptable.includes(role)) throw usageError(`--exempt: "${role}" is not an exemptable role`, `use ${exemptable.join(', ')} (owners count as moderators), comma-separated`);
  return { messages, perSec, ...(exempt ? { exempt } : {}) };
}

const limitOptions = (command: ReturnType<Registrar['program']['command']>) =>
  command
    .option('--messages <n>', 'messages per period per user (0: no limit)')
    .option('--per <duration>', 'the period: 10s, 30s, 1m')
    .option('--exempt <roles>', 'room roles not limited: moderator,vip');

const simColumns: Array<Column<SimulatedUser>> = [
  { header: 'USER', get: (u) => u.name },
  { header: 'MESSAGES', get: (u) => String(u.messages), align: 'right' },
  { header: 'LIMITED', get: (u) => (u.exempt ? 'exempt' : String(u.limited)), align: 'right' },
  { header: 'FIRST LIMITED AT', get: (u) => (u.firstLimitedSeq === null ? '-' : `seq ${u.firstLimitedSeq}`) },
];

export function registerRateLimit({ program, io }: Registrar) {
  const rl = program.command('ratelimit').summary('per-user message rate limits, per room or by default');
  const path = (room?: string) => (room ? `/api/v1/rooms/${enc(room)}/ratelimit` : '/api/v1/ratelimit');
  const show = (cli: Parameters<Parameters<typeof act>[1]>[0], view: RateLimitView, room?: string) =>
    cli.print({ room: room ?? null, ...view }, [{ fields: [['Room', room ?? '(default for every room)'], ...rateLimitFields(view)] }]);

  rl.command('get')
    .summary('the limit in force in a room, or the default')
    .option('--room <room>', 'the room (default: the default limit)')
    .action(
      act(io, async (cli, opts: { room?: string }) => {
        const api = await cli.api();
        show(cli, await api.get<RateLimitView>(path(opts.room)), opts.room);
      }),
    );

  limitOptions(rl.command('set').summary("set a room's limit (its moderators) or the default (admins); the next message counts against it"))
    .option('--room <room>', 'the room (default: the default limit)')
    .action(
      act(io, async (cli, opts: { room?: string; messages?: string; per?: string; exempt?: string }) => {
        const body = parseLimit(opts);
        const api = await cli.api();
        show(cli, await api.put<RateLimitView>(path(opts.room), body), opts.room);
      }),
    );

  rl.command('reset')
    .summary("remove a room's own limit: the default applies again")
    .requiredOption('--room <room>', 'the room')
    .action(
      act(io, async (cli, opts: { room: string }) => {
        const api = await cli.api();
        show(cli, await api.delete<RateLimitView>(path(opts.room)), opts.room);
      }),
    );

  limitOptions(rl.command('simulate').summary("replay a room's recent log against a proposed limit: who would have been limited, how often"))
    .requiredOption('--room <room>', 'the room')
    .addOption(new Option('--last <n>', 'replay at most this many recent messages').default('1000'))
    .action(
      act(io, async (cli, opts: { room: string; messages?: string; per?: string; exempt?: string; last: string }) => {
        const limit = parseLimit(opts);
        const last = Number(opts.last);
        if (!Number.isInteger(last) || last < 1) throw usageError(`--last ${opts.last}: not a positive whole number`, 'e.g. --last 5000');
        const api = await cli.api();
        const base = `/api/v1/rooms/${enc(opts.room)}`;
        const exemptRoles = new Set(limit.exempt ?? (await api.get<RateLimitView>(`${base}/ratelimit`)).exempt);
        const { roles } = await api.get<{ roles: Array<{ userId: string; role: string }> }>(`${base}/roles`);
        const exempt = new Set(roles.filter((r) => exemptRoles.has(r.role === 'owner' ? 'moderator' : r.role)).map((r) => r.userId));
        const log: Message[] = [];
        let before: number | undefined;
        do {
          const page = await api.get<HistoryPage>(`${base}/messages`, { limit: Math.min(100, last - log.length), before });
          log.push(...page.messages);
          before = page.nextBefore ?? undefined;
          cli.progress(`reading the history of ${opts.room}: ${log.length} messages…`);
        } while (before !== undefined && log.length < last);
        cli.progress(`replaying ${log.length} messages…`);
        const result = simulate(log, limit, exempt);
        const span = result.fromTs !== null && result.toTs !== null ? formatDuration((result.toTs - result.fromTs) / 1000) : '0s';
        cli.print({ room: opts.room, limit: { messages: limit.messages, perSec: limit.perSec, exempt: [...exemptRoles] }, ...result }, [
          {
            title: 'Simulation',
            fields: [
              ['Room', opts.room],
              ['Proposed limit', `${describeLimit(limit)}${exemptRoles.size ? ` (exempt: ${[...exemptRoles].join(', ')})` : ''}`],
              ['Replayed', result.messages === 0 ? 'no messages' : `${result.messages} messages from ${result.users.length} users over ${span} (seq ${result.fromSeq}–${result.toSeq})`],
              ['Would be limited', `${result.limitedMessages} messages from ${result.limitedUsers} users`],
            ],
          },
          { title: 'Users', table: { columns: simColumns, rows: result.users, empty: 'none' } },
        ]);
      }),
    );
}
