// docs/CONFIG.md (generated from the services' config schemas) as data: the chart must use exactly
// these variable names, and its values schema the same limits.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './tools.ts';

export interface ConfigVariable {
  name: string;
  type: string;
  minimum?: number;
  maximum?: number;
  enum?: string[];
}

/** service name → variable name → variable */
export function configDoc(): Map<string, Map<string, ConfigVariable>> {
  const text = readFileSync(join(REPO, 'docs/CONFIG.md'), 'utf8');
  const services = new Map<string, Map<string, ConfigVariable>>();
  let current: Map<string, ConfigVariable> | undefined;
  for (const line of text.split('\n')) {
    const heading = /^## (\w+)/.exec(line);
    if (heading) {
      current = new Map();
      services.set(heading[1]!, current);
      continue;
    }
    const row = /^\| `([A-Z0-9_]+)` \| (.*?) \| /.exec(line);
    if (!row || !current) continue;
    const [, name, typeText] = row as unknown as [string, string, string];
    const variable: ConfigVariable = { name, type: typeText.split(' ')[0]! };
    if (typeText.includes('\\|')) {
      variable.type = 'string';
      variable.enum = typeText.split('\\|').map((s) => s.trim());
    }
    const min = /≥ (\d+)/.exec(typeText);
    const max = /≤ (\d+)/.exec(typeText);
    if (min) variable.minimum = Number(min[1]);
    if (max) variable.maximum = Number(max[1]);
    current.set(name, variable);
  }
  return services;
}
