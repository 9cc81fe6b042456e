// A stand-in for the auth service in multi-process tests: signs access tokens and serves their
// JWKS over HTTP on loopback, for chat nodes started with AUTH_JWKS_URL.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTokenSigner } from '../tokens.ts';

export interface TokenIssuer {
  /** AUTH_JWKS_URL for the services. */
  jwksUrl: string;
  /** An access token (default: no roles, valid 4 hours). */
  sign(userId: string, name: string, roles?: string[], ttlSec?: number): Promise<string>;
  stop(): Promise<void>;
}

/** Starts the JWKS server on a free loopback port (issuer and audience `chatorbit`, the defaults). */
export async function startTokenIssuer(settings = { issuer: 'chatorbit', audience: 'chatorbit' }): Promise<TokenIssuer> {
  const signer = await createTokenSigner(settings);
  const body = JSON.stringify(signer.jwks());
  const server = createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    sign: (userId, name, roles = [], ttlSec = 4 * 3600) => signer.sign({ userId, name, roles }, ttlSec),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // keep-alive sockets of the services' JWKS fetches
      }),
  };
}
