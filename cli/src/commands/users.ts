import { Argument } from 'commander';
import { formatAge } from '../duration.ts';
import { notFoundError } from '../errors.ts';
import type { PublicUser } from '../cli.ts';
import type { Column } from '../output.ts';
import { act, enc, type Registrar } from './common.ts';

const userColumns: Array<Column<PublicUser>> = [
  { header: 'USERNAME', get: (u) => u.username },
  { header: 'ID', get: (u) => u.id },
  { header: 'DISPLAY NAME', get: (u) => u.displayName ?? '-', flex: true },
  { header: 'AGE', get: (u) => (u.createdAt ? formatAge(Date.parse(u.createdAt)) : '-') },
  { header: 'STATUS', get: (u) => (u.deactivated ? 'deactivated' : 'active') },
];

const roomRoles = ['owner', 'moderator', 'vip'];

export function registerUsers({ program, io }: Registrar) {
  const users = program.command('users').summary('find accounts');
  users
    .command('find')
    .summary('accounts whose username starts with PREFIX')
    .argument('<prefix>')
    .option('--limit <n>', 'at most this many', '20')
    .action(
      act(io, async (cli, prefix: string, opts: { limit: string }) => {
        const api = await cli.api();
        const limit = Math.max(1, Number(opts.limit) || 20);
        const found: PublicUser[] = [];
        let cursor: string | undefined;
        do {
          const page = await api.get<{ users: PublicUser[]; next?: string }>('/api/v1/users', { search: prefix, limit: Math.min(100, limit - found.length), cursor });
          found.push(...page.users);
          cursor = page.next;
        } while (cursor && found.length < limit);
        cli.print({ users: found.slice(0, limit) }, [{ table: { columns: userColumns, rows: found.slice(0, limit), empty: `No user's name starts with "${prefix}".` } }]);
      }),
    );

  const roles = program.command('roles').summary("room roles: owner, moderator, vip");
  roles
    .command('list')
    .summary("a room's owner, moderators and VIPs")
    .requiredOption('--room <room>', 'the room')
    .action(
      act(io, async (cli, opts: { room: string }) => {
        const api = await cli.api();
        const { roles: entries } = await api.get<{ roles: Array<{ userId: string; role: string }> }>(`/api/v1/rooms/${enc(opts.room)}/roles`);
        const names = await cli.users.nameAll(entries.map((r) => r.userId));
        const rows = entries.map((r) => ({ ...r, username: names.get(r.userId) ?? r.userId }));
        const columns: Array<Column<(typeof rows)[number]>> = [
          { header: 'USER', get: (r) => r.username },
          { header: 'ID', get: (r) => r.userId },
          { header: 'ROLE', get: (r) => r.role },
        ];
        cli.print({ room: opts.room, roles: rows }, [{ table: { columns, rows, empty: `No roles in ${opts.room}.` } }]);
      }),
    );
  roles
    .command('grant')
    .summary('give a user a room role (owners grant moderator and vip; admins any)')
    .argument('<user>', 'username or id')
    .addArgument(new Argument('<role>').choices(roomRoles))
    .requiredOption('--room <room>', 'the room')
    .action(
      act(io, async (cli, user: string, role: string, opts: { room: string }) => {
        const target = await cli.users.resolve(user);
        const api = await cli.api();
        await api.put(`/api/v1/rooms/${enc(opts.room)}/roles/${target.id}`, { role });
        cli.print({ room: opts.room, userId: target.id, username: target.username, role }, [{ lines: [`${target.username} is now ${role === 'owner' ? 'the owner' : `a ${role}`} of ${opts.room}`] }]);
      }),
    );
  roles
    .command('revoke')
    .summary("take a user's room role away")
    .argument('<user>', 'username or id')
    .addArgument(new Argument('[role]', 'only if it is this role').choices(roomRoles))
    .requiredOption('--room <room>', 'the room')
    .action(
      act(io, async (cli, user: string, role: string | undefined, opts: { room: string }) => {
        const target = await cli.users.resolve(user);
        const api = await cli.api();
        const path = `/api/v1/rooms/${enc(opts.room)}/roles`;
        const { roles: entries } = await api.get<{ roles: Array<{ userId: string; role: string }> }>(path);
        const current = entries.find((r) => r.userId === target.id)?.role;
        if (!current || (role && current !== role)) {
          throw notFoundError(`${target.username} is not ${role ? `a ${role}` : 'a moderator, VIP or owner'} of ${opts.room}${current ? ` (they are ${current})` : ''}`, `\`orbitctl roles list --room ${opts.room}\` shows who has which role`);
        }
        await api.delete(`${path}/${target.id}`);
        cli.print({ room: opts.room, userId: target.id, username: target.username, revoked: current }, [{ lines: [`${target.username} is no longer ${current === 'owner' ? 'the owner' : `a ${current}`} of ${opts.room}`] }]);
      }),
    );
}
