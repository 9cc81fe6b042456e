import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { loggerOptions, redactUrl } from './logger.ts';

/** A pino logger with the services' options, writing its JSON lines into an array. */
function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { log: pino(loggerOptions('test', 'trace'), stream), lines };
}

describe('log redaction', () => {
  it('masks tokens, passwords, cookies and keys at the top level and one level down', () => {
    const { log, lines } = capture();
    const secrets = ['pw-top', 'pw-nested', 'tok-top', 'tok-nested', 'Bearer hdr', 'cookie-hdr', 'Bearer req-hdr', 'cookie-req', 'pem-key', 'admin-pw', 'new-pw', 'access-tok'];
    log.info({
      password: 'pw-top',
      body: { password: 'pw-nested', newPassword: 'new-pw', accessToken: 'access-tok' },
      token: 'tok-top',
      query: { token: 'tok-nested' },
      headers: { authorization: 'Bearer hdr', cookie: 'cookie-hdr' },
      upstream: { headers: { authorization: 'Bearer req-hdr', cookie: 'cookie-req' } },
      config: { JWT_PRIVATE_KEY: 'pem-key', ADMIN_PASSWORD: 'admin-pw' },
      kept: 'visible',
    }, 'an object with secrets');
    expect(lines).toHaveLength(1);
    for (const secret of secrets) expect(lines[0]).not.toContain(secret);
    const line = JSON.parse(lines[0]!) as Record<string, Record<string, unknown>>;
    expect(line.kept).toBe('visible');
    expect(line.body).toEqual({ password: '[redacted]', newPassword: '[redacted]', accessToken: '[redacted]' });
    expect(line.headers).toEqual({ authorization: '[redacted]', cookie: '[redacted]' });
    expect(line).toMatchObject({ service: 'test', msg: 'an object with secrets' });
  });

  it('masks token query values in request URLs', () => {
    const { log, lines } = capture();
    log.info({ req: { method: 'GET', url: '/ws?room=r&token=abc.def.ghi&x=1', ip: '127.0.0.1' } }, 'incoming request');
    expect(lines[0]).not.toContain('abc.def.ghi');
    expect(JSON.parse(lines[0]!).req).toEqual({ method: 'GET', url: '/ws?room=r&token=[redacted]&x=1', remoteAddress: '127.0.0.1' });
    expect(redactUrl('/x?access_token=s3cret#f')).toBe('/x?access_token=[redacted]#f');
  });

  it('adds no trace fields when no span is active', () => {
    const { log, lines } = capture();
    log.info('plain');
    expect(JSON.parse(lines[0]!)).not.toHaveProperty('traceId');
  });
});
