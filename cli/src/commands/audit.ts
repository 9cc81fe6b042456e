import { Option } from 'commander';
import { formatAge, formatDuration, parseDuration } from '../duration.ts';
import { notFoundError, usageError } from '../errors.ts';
import { ApiError } from '../http.ts';
import type { Column } from '../output.ts';
import { act, enc, type Registrar } from './common.ts';

export interface AuditEntry {
  id: string;
  at: number;
  actor: { id: string; name: string };
  action: string;
  room: string | null;
  target: string | null;
  reason: string | null;
  expiresAt: number | null;
  details: Record<string, unknown> | null;
}

export const auditActions = ['ban', 'timeout', 'unban', 'role_grant', 'role_revoke', 'ratelimit_set', 'ratelimit_reset', 'settings_set', 'message_delete', 'room_clear', 'room_create'];

type Row = AuditEntry & { targetName: string | null };

function details(e: AuditEntry): string {
  const parts: string[] = [];
  if (e.expiresAt !== null) parts.push(`for ${formatDuration((e.expiresAt - e.at) / 1000)}`);
  if (e.reason) parts.push(`"${e.reason}"`);
  for (const [key, value] of Object.entries(e.details ?? {})) parts.push(`${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return parts.join(' ');
}

const columns: Array<Column<Row>> = [
  { header: 'ID', get: (e) => e.id },
  { header: 'AGE', get: (e) => formatAge(e.at) },
  { header: 'ACTOR', get: (e) => e.actor.name },
  { header: 'ACTION', get: (e) => e.action },
  { header: 'ROOM', get: (e) => e.room ?? '(global)' },
  { header: 'TARGET', get: (e) => e.targetName ?? '-' },
  { header: 'DETAILS', get: details, flex: true },
];

interface AuditOpts {
  room?: string;
  actor?: string;
  target?: string;
  action?: string;
  since?: string;
  limit: string;
}

export function registerAudit({ program, io }: Registrar) {
  const audit = program
    .command('audit')
    .summary('the moderation audit log, newest first; `audit undo ID` lifts a ban')
    .description('Every moderation action, newest first: a room\'s (its moderators) or all (admins). `orbitctl audit undo ID` lifts the ban or timeout of an entry.')
    .option('--room <room>', "one room's actions")
    .option('--actor <user>', 'actions by this user (username or id)')
    .option('--target <user>', 'actions on this user (username or id)')
    .addOption(new Option('--action <action>', 'one kind of action').choices(auditActions))
    .option('--since <duration>', 'only the last 1h, 30m, 7d…')
    .option('--limit <n>', 'at most this many entries', '50')
    .action(
      act(io, async (cli, opts: AuditOpts) => {
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1) throw usageError(`--limit ${opts.limit}: not a positive whole number`, 'e.g. --limit 200');
        const since = opts.since ? Date.now() - parseDuration(opts.since, '--since') * 1000 : undefined;
        const actor = opts.actor ? (await cli.users.resolve(opts.actor)).id : undefined;
        const target = opts.target ? (await cli.users.resolve(opts.target)).id : undefined;
        const api = await cli.api();
        const path = opts.room ? `/api/v1/rooms/${enc(opts.room)}/audit` : '/api/v1/audit';
        const entries: AuditEntry[] = [];
        let before: string | undefined;
        for (;;) {
          const page = await api.get<{ entries: AuditEntry[]; nextBefore: string | null }>(path, { actor, target, action: opts.action, before, limit: Math.min(100, limit - entries.length) });
          const fresh = since === undefined ? page.entries : page.entries.filter((e) => e.at >= since);
          entries.push(...fresh);
          if (!page.nextBefore || fresh.length < page.entries.length || entries.length >= limit) break;
          before = page.nextBefore;
          cli.progress(`reading the audit log: ${entries.length} entries…`);
        }
        const names = await cli.users.nameAll(entries.map((e) => e.target));
        const rows = entries.map((e) => ({ ...e, targetName: e.target === null ? null : (names.get(e.target) ?? e.target) }));
        cli.print({ entries: rows.map(({ targetName, ...e }) => ({ ...e, targetName })) }, [{ table: { columns, rows, empty: 'No audit entries.' } }]);
      }),
    );

  audit
    .command('undo')
    .summary('lift the ban or timeout of an audit entry')
    .argument('<id>', "the entry's id (first column of `orbitctl audit`)")
    .action(
      act(io, async (cli, id: string) => {
        if (!/^[0-9a-f]{24}$/.test(id)) throw usageError(`"${id}" is not an audit entry id`, 'ids are 24 hex digits: the first column of `orbitctl audit`');
        const api = await cli.api();
        let undone: AuditEntry;
        try {
          ({ undone } = await api.post<{ undone: AuditEntry }>(`/api/v1/audit/${id}/undo`));
        } catch (err) {
          if (err instanceof ApiError && err.status === 404 && !err.missingRoute) throw notFoundError(`no audit entry ${id}`, '`orbitctl audit` lists the entries and their ids');
          if (err instanceof ApiError && err.status === 400) throw usageError(err.message, 'only ban and timeout entries can be undone; change other things with their own command');
          throw err;
        }
        const target = undone.target ? await cli.users.name(undone.target) : '?';
        cli.print({ undone: { ...undone, targetName: target } }, [{ lines: [`undone: ${undone.action} of ${target} ${undone.room ? `in ${undone.room}` : 'globally'} (entry ${id})`] }]);
      }),
    );
}
