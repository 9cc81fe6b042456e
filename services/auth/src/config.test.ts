import { describe, expect, it } from 'vitest';
import { ConfigError } from '@chatorbit/shared';
import { adminAccount, loadAuthConfig } from './config.ts';

/** The ConfigError `load` throws, or a failure when it throws none. */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadAuthConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`no ConfigError for ${JSON.stringify(env)}`);
}

describe('admin settings', () => {
  it('configure no admin when all three are unset: there is no default one', () => {
    const config = loadAuthConfig({});
    expect(config.ADMIN_USERNAME).toBeUndefined();
    expect(config.ADMIN_PASSWORD).toBeUndefined();
    expect(adminAccount(config)).toBeUndefined();
    expect(adminAccount(loadAuthConfig({ ADMIN_USERNAME: '', ADMIN_PASSWORD: '', ADMIN_EMAIL: '' }))).toBeUndefined();
  });

  it('default the email to <username>@admin.invalid', () => {
    const config = loadAuthConfig({ ADMIN_USERNAME: 'Root', ADMIN_PASSWORD: 'a long admin secret' });
    expect(adminAccount(config)).toEqual({ username: 'Root', password: 'a long admin secret', email: 'Root@admin.invalid' });
  });

  it('take ADMIN_EMAIL when set', () => {
    const config = loadAuthConfig({ ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'a long admin secret', ADMIN_EMAIL: 'ops@example.com' });
    expect(adminAccount(config)?.email).toBe('ops@example.com');
  });

  it.each([
    ['ADMIN_USERNAME without ADMIN_PASSWORD', { ADMIN_USERNAME: 'root' }, 'ADMIN_PASSWORD', /ADMIN_PASSWORD is required when ADMIN_USERNAME is set/],
    ['ADMIN_PASSWORD without ADMIN_USERNAME', { ADMIN_PASSWORD: 'a long admin secret' }, 'ADMIN_USERNAME', /ADMIN_USERNAME is required when ADMIN_PASSWORD is set/],
    ['ADMIN_EMAIL alone', { ADMIN_EMAIL: 'ops@example.com' }, 'ADMIN_USERNAME', /ADMIN_USERNAME is required when ADMIN_EMAIL is set/],
    ['ADMIN_USERNAME and ADMIN_EMAIL without ADMIN_PASSWORD', { ADMIN_USERNAME: 'root', ADMIN_EMAIL: 'ops@example.com' }, 'ADMIN_PASSWORD', /ADMIN_PASSWORD/],
    ['an 11-character password', { ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'x'.repeat(11) }, 'ADMIN_PASSWORD', /ADMIN_PASSWORD/],
    ['the username as the password', { ADMIN_USERNAME: 'administrator', ADMIN_PASSWORD: 'ADMINISTRATOR' }, 'ADMIN_PASSWORD', /must not equal ADMIN_USERNAME/],
    ['a username with a space', { ADMIN_USERNAME: 'the root', ADMIN_PASSWORD: 'a long admin secret' }, 'ADMIN_USERNAME', /ADMIN_USERNAME/],
    ['a username with an @', { ADMIN_USERNAME: 'root@home', ADMIN_PASSWORD: 'a long admin secret' }, 'ADMIN_USERNAME', /ADMIN_USERNAME/],
    ['an email without @', { ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'a long admin secret', ADMIN_EMAIL: 'ops.example.com' }, 'ADMIN_EMAIL', /ADMIN_EMAIL/],
  ])('stop start-up for %s, naming the variable', (_what, env, variable, message) => {
    const err = configError(env);
    expect(err.variable).toBe(variable);
    expect(err.message).toMatch(message);
  });

  it('never echo the admin password in an error', () => {
    const err = configError({ ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'short-pw' });
    expect(err.message).not.toContain('short-pw');
  });
});

describe('token and throttle settings', () => {
  it('default to 15 min access tokens, 30-day refresh tokens, 24 h compat tokens and Secure cookies on https only', () => {
    expect(loadAuthConfig({})).toMatchObject({
      ACCESS_TOKEN_TTL_SEC: 900,
      REFRESH_TOKEN_TTL_SEC: 2_592_000,
      COMPAT_TOKEN_TTL_SEC: 86_400,
      COOKIE_SECURE: 'auto',
      LOGIN_FREE_ATTEMPTS: 5,
      LOGIN_IP_FREE_ATTEMPTS: 20,
      GUEST_TOKENS_PER_MINUTE: 10,
    });
  });

  it.each([
    ['a backoff base above its maximum', { LOGIN_BACKOFF_BASE_SEC: '60', LOGIN_BACKOFF_MAX_SEC: '30' }, 'LOGIN_BACKOFF_BASE_SEC'],
    ['COOKIE_SECURE=yes', { COOKIE_SECURE: 'yes' }, 'COOKIE_SECURE'],
    ['a refresh lifetime under 5 min', { REFRESH_TOKEN_TTL_SEC: '60' }, 'REFRESH_TOKEN_TTL_SEC'],
    ['no free login attempts', { LOGIN_FREE_ATTEMPTS: '0' }, 'LOGIN_FREE_ATTEMPTS'],
  ])('stop start-up for %s, naming the variable', (_what, env, variable) => {
    expect(configError(env).variable).toBe(variable);
  });
});
