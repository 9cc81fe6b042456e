import pkg from '../../package.json' with { type: 'json' };
import { CliError } from '../errors.ts';
import { act, type Registrar } from './common.ts';

export const VERSION: string = pkg.version;

export function registerVersion({ program, io }: Registrar) {
  program
    .command('version')
    .summary("orbitctl's version and the server's")
    .option('--client', 'only the client version (no server needed)')
    .action(
      act(io, async (cli, opts: { client?: boolean }) => {
        const client = { version: VERSION, node: process.version };
        if (opts.client) return cli.print({ client }, [{ fields: [['Client', `orbitctl ${VERSION} (node ${process.version})`]] }]);
        let server: { url: string; api: string | null; title: string | null; status: string };
        try {
          const api = await cli.api({ auth: false });
          const openapi = await api.get<{ info?: { title?: string; version?: string } }>('/openapi.json');
          const ready = await fetch(`${api.server}/readyz`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.json() as Promise<{ status?: string }>, () => ({ status: 'unknown' }));
          server = { url: api.server, api: openapi.info?.version ?? null, title: openapi.info?.title ?? null, status: ready.status ?? 'unknown' };
        } catch (err) {
          if (!(err instanceof CliError)) throw err;
          // Like `kubectl version`: the client version, then why the server could not answer.
          cli.print({ client, server: null }, [{ fields: [['Client', `orbitctl ${VERSION} (node ${process.version})`]] }]);
          throw err;
        }
        cli.print({ client, server }, [
          {
            fields: [
              ['Client', `orbitctl ${VERSION} (node ${process.version})`],
              ['Server', `${server.url}: ${server.title ?? 'ChatOrbit'}, API v${server.api ?? '?'}, ${server.status}`],
            ],
          },
        ]);
      }),
    );
}
