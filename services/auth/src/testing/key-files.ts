// Signing keys on disk laid out as a mounted Kubernetes Secret.
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A fresh Ed25519 private key, PKCS#8 PEM (`openssl genpkey -algorithm ed25519`). */
export const newKeyPem = () => generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

let version = 0;

/**
 * Writes `files` into `dir` as the kubelet updates a Secret volume: the files go into a new hidden
 * `..<version>` directory, `..data` is switched to it atomically, and each key name is a symlink
 * `<name> → ..data/<name>`; names no longer in the Secret disappear.
 */
export async function writeSecret(dir: string, files: Record<string, string>): Promise<void> {
  const stamp = `..2030_01_01_00_00_${String(++version).padStart(2, '0')}.${process.pid}`;
  await mkdir(join(dir, stamp), { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, stamp, name), text, { mode: 0o600 });
  await symlink(stamp, join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), join(dir, '..data'));
  for (const entry of await readdir(dir)) {
    if (entry.startsWith('..') || entry in files) continue;
    await rm(join(dir, entry));
  }
  for (const name of Object.keys(files)) {
    await symlink(join('..data', name), join(dir, name)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
  }
}
