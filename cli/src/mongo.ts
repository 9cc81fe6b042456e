// `orbitctl check`'s MongoDB step: ask one member, through a port-forward, the `hello` command
// with the services' own credential (SCRAM, hence the driver rather than a hand-written OP_MSG).
import type { MongoClient as MongoClientType } from 'mongodb';

export interface MongoCredential {
  username: string;
  password: string;
  authSource: string;
  authMechanism?: string;
}

/**
 * The credential in a MONGO_URL (`mongodb://user:pass@h1,h2/db?authSource=admin&…`), without its
 * hosts (several hosts are not a WHATWG URL, so this is parsed by hand). Undefined without a user.
 */
export function credentialOf(mongoUrl: string): MongoCredential | undefined {
  const match = /^mongodb(?:\+srv)?:\/\/(?:([^@/]*)@)?[^/?]*(?:\/([^?]*))?(?:\?(.*))?$/.exec(mongoUrl);
  if (!match) throw new Error('MONGO_URL is not a mongodb:// URL');
  const [, userinfo, db, query] = match;
  if (!userinfo) return undefined;
  const colon = userinfo.indexOf(':');
  const params = new URLSearchParams(query ?? '');
  const mechanism = params.get('authMechanism');
  return {
    username: decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon)),
    password: colon < 0 ? '' : decodeURIComponent(userinfo.slice(colon + 1)),
    authSource: params.get('authSource') || db || 'admin',
    ...(mechanism ? { authMechanism: mechanism } : {}),
  };
}

export interface HelloView {
  isWritablePrimary: boolean;
  secondary: boolean;
  setName?: string;
  primary?: string;
  me?: string;
  hosts: string[];
}

export class MongoAuthError extends Error {}

/** `hello` on one server (directly, not discovering the set), authenticated when given a credential. */
export async function askHello(host: string, port: number, credential?: MongoCredential, timeoutMs = 5000): Promise<HelloView> {
  const { MongoClient, MongoServerError } = await import('mongodb');
  const client: MongoClientType = new MongoClient(`mongodb://${host.includes(':') ? `[${host}]` : host}:${port}/`, {
    directConnection: true,
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    socketTimeoutMS: timeoutMs,
    ...(credential
      ? {
          auth: { username: credential.username, password: credential.password },
          authSource: credential.authSource,
          ...(credential.authMechanism ? { authMechanism: credential.authMechanism as 'SCRAM-SHA-256' } : {}),
        }
      : {}),
  });
  try {
    const reply = await client.db('admin').command({ hello: 1 });
    return {
      isWritablePrimary: reply.isWritablePrimary === true,
      secondary: reply.secondary === true,
      ...(typeof reply.setName === 'string' ? { setName: reply.setName } : {}),
      ...(typeof reply.primary === 'string' ? { primary: reply.primary } : {}),
      ...(typeof reply.me === 'string' ? { me: reply.me } : {}),
      hosts: Array.isArray(reply.hosts) ? reply.hosts.map(String) : [],
    };
  } catch (err) {
    // 18 AuthenticationFailed; the driver may wrap it in the server selection error's cause.
    const cause = (err as { cause?: unknown }).cause;
    for (const e of [err, cause]) {
      if (e instanceof MongoServerError && (e.code === 18 || /auth/i.test(e.message))) throw new MongoAuthError(e.message);
    }
    throw err;
  } finally {
    await client.close().catch(() => {});
  }
}

/** A member's `hello` as a check's status and detail: ok as soon as a primary is known. */
export function helloResult(pod: string, view: HelloView): { status: 'ok' | 'fail'; detail: string } {
  const members = view.hosts.length ? `, ${view.hosts.length} members` : '';
  if (!view.setName) {
    if (view.isWritablePrimary) return { status: 'ok', detail: `${pod} is writable primary (no replica set name in its hello reply: a standalone server)` };
    return { status: 'fail', detail: `${pod} is not writable primary and belongs to no replica set` };
  }
  if (view.isWritablePrimary) return { status: 'ok', detail: `primary ${view.me ?? pod} of replica set ${view.setName}${members}; asked ${pod}` };
  if (view.primary) return { status: 'ok', detail: `primary ${view.primary} of replica set ${view.setName}${members}; asked ${pod} (${view.secondary ? 'secondary' : 'not primary'})` };
  return { status: 'fail', detail: `replica set ${view.setName} has no primary${members}; asked ${pod}` };
}
