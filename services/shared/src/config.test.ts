import { describe, expect, it } from 'vitest';
import { Type } from 'typebox';
import { ConfigError, commonConfig, loadConfig, storageConfig } from './config.ts';

const schema = Type.Object({ ...commonConfig(8080), ...storageConfig, LIMIT: Type.Integer({ default: 5, minimum: 1 }) });

describe('loadConfig', () => {
  it('applies defaults and converts strings to the declared types', () => {
    const config = loadConfig(schema, { PORT: '9000', LIMIT: '7', UNRELATED: 'x' });
    expect(config).toMatchObject({ PORT: 9000, LIMIT: 7, HOST: '0.0.0.0', LOG_LEVEL: 'info', REDIS_PREFIX: 'orbit' });
    expect(config.REDIS_URL).toBeUndefined();
    expect('UNRELATED' in config).toBe(false);
  });

  it('treats an empty variable as unset', () => {
    const config = loadConfig(schema, { PORT: '', REDIS_URL: '' });
    expect(config.PORT).toBe(8080);
    expect(config.REDIS_URL).toBeUndefined();
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT', /PORT .*integer.*"abc"/],
    [{ PORT: '70000' }, 'PORT', /PORT/],
    [{ LIMIT: '0' }, 'LIMIT', /LIMIT/],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /LOG_LEVEL/],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL', /REDIS_URL/],
    [{ MONGO_URL: 'http://x' }, 'MONGO_URL', /MONGO_URL/],
  ])('names the bad variable in %j', (env, variable, message) => {
    try {
      loadConfig(schema, env);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).variable).toBe(variable);
      expect((err as Error).message).toMatch(message);
    }
  });
});
