#!/usr/bin/env node
// orbitctl: run from source (node cli/src/main.ts) or as the bundle (dist/orbitctl.mjs).
import { run } from './program.ts';

const code = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });
// Exit once stdout has drained: a port-forward or a keep-alive socket must not keep us alive.
process.stdout.write('', () => process.exit(code));
