// Packaging: `pnpm --filter orbitctl build` makes one executable file; the packed tarball
// installs `orbitctl` and `kubectl-orbit` with npm, offline (everything is inside the bundle).
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBundle, runBin, tempDir } from './testing/world.ts';

const cliRoot = fileURLToPath(new URL('../', import.meta.url));
const dir = tempDir('orbitctl-pkg-');
afterAll(() => dir.remove());

describe('packaging', () => {
  it('the build is one executable file with a node shebang that needs no node_modules', async () => {
    const bin = buildBundle(dir.path);
    expect(statSync(bin).mode & 0o111).not.toBe(0);
    const text = readFileSync(bin, 'utf8');
    expect(text.startsWith('#!/usr/bin/env node\n')).toBe(true);
    // It lives in a temp dir with no node_modules above it: the lazily loaded Kubernetes client
    // is inside the file too (a missing module would fail with exit 1, not this exit 5).
    const kube = await runBin(bin, ['rooms', 'list', '--kubeconfig', join(dir.path, 'missing-kubeconfig')], {});
    expect(kube.code).toBe(5);
    expect(kube.stderr).toMatch(/^error: cannot load the kubeconfig .*missing-kubeconfig: ENOENT/);
    const run = await runBin(bin, ['version', '--client'], {});
    expect(run).toEqual({ code: 0, stdout: `Client: orbitctl 0.1.0 (node ${process.version})\n`, stderr: '' });
    expect((await runBin(bin, ['--client-version'], {})).stdout).toBe('0.1.0\n');
  });

  it('the packed tarball installs orbitctl and kubectl-orbit with npm i -g', async () => {
    const pack = spawnSync('pnpm', ['pack', '--pack-destination', dir.path], { cwd: cliRoot, encoding: 'utf8' });
    expect(pack.status, pack.stderr + pack.stdout).toBe(0);
    const tarball = readdirSync(dir.path).find((f) => f.endsWith('.tgz'))!;
    const list = spawnSync('tar', ['tzf', join(dir.path, tarball)], { encoding: 'utf8' }).stdout.trim().split('\n').sort();
    expect(list).toEqual(['package/dist/orbitctl.mjs', 'package/package.json']);
    const prefix = join(dir.path, 'prefix');
    const install = spawnSync('npm', ['i', '-g', '--offline', '--no-audit', '--no-fund', '--prefix', prefix, join(dir.path, tarball)], { encoding: 'utf8' });
    expect(install.status, install.stderr).toBe(0);
    for (const name of ['orbitctl', 'kubectl-orbit']) {
      const path = join(prefix, 'bin', name);
      expect(existsSync(path)).toBe(true);
      const run = await runBin(path, ['version', '--client', '-o', 'json'], {});
      expect(JSON.parse(run.stdout)).toEqual({ client: { version: '0.1.0', node: process.version } });
    }
    const usage = await runBin(join(prefix, 'bin', 'orbitctl'), ['ban'], {});
    expect(usage.code).toBe(2);
  });
});
