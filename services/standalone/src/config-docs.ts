import type { TObject, TSchema } from 'typebox';
import { authConfigSchema } from '@chatorbit/auth';
import { userConfigSchema } from '@chatorbit/user';
import { chatConfigSchema } from '@chatorbit/chat';
import { gatewayConfigSchema } from '@chatorbit/gateway';

const services: Array<[string, TObject]> = [
  ['gateway', gatewayConfigSchema],
  ['auth', authConfigSchema],
  ['user', userConfigSchema],
  ['chat', chatConfigSchema],
];

const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

function describeType(schema: TSchema & Record<string, unknown>): string {
  if (Array.isArray(schema.enum)) return (schema.enum as string[]).join(' \\| ');
  const range = [schema.minimum !== undefined ? `≥ ${schema.minimum}` : '', schema.maximum !== undefined ? `≤ ${schema.maximum}` : '']
    .filter(Boolean)
    .join(', ');
  return `${String(schema.type ?? 'string')}${range ? ` (${range})` : ''}`;
}

/** docs/CONFIG.md, generated from the services' config schemas (the one place they are written). */
export function renderConfigDocs(): string {
  const lines = [
    '# Configuration',
    '',
    'Every service reads its settings from environment variables, checked at start-up against its',
    'schema (`services/<name>/src/config.ts`); a bad value stops the service with a line naming the',
    'variable. This file is generated from those schemas: `pnpm docs:config` rewrites it and a test',
    'fails when it is stale. `pnpm start` (all services in one process) reads all of them; the',
    'internal services then listen on loopback ports of their own and `PORT` is the gateway\'s.',
    '',
  ];
  for (const [name, schema] of services) {
    lines.push(`## ${name}`, '', '| variable | type | default | description |', '|---|---|---|---|');
    for (const [key, prop] of Object.entries(schema.properties)) {
      const p = prop as TSchema & Record<string, unknown>;
      const def = p.default === undefined ? '' : `\`${String(p.default) || '""'}\``;
      lines.push(`| \`${key}\` | ${describeType(p)} | ${def} | ${cell(String(p.description ?? ''))} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

if (import.meta.main) process.stdout.write(renderConfigDocs());
