import { Type, type Static } from 'typebox';
import { commonConfig } from '@chatorbit/shared';

const upstream = (service: string, defaultUrl: string) =>
  Type.String({
    default: defaultUrl,
    pattern: '^https?://[^/?#\\s]+/?$',
    description: `Base URL of the ${service} service (scheme, host and port, no path). HTTP requests go to it unchanged; WebSockets to the same host over ws(s).`,
  });

const origin = 'https?://[^/,\\s]+';

export const gatewayConfigSchema = Type.Object({
  ...commonConfig(8080),
  AUTH_URL: upstream('auth', 'http://127.0.0.1:8081'),
  USER_URL: upstream('user', 'http://127.0.0.1:8082'),
  CHAT_URL: upstream('chat', 'http://127.0.0.1:8083'),
  CORS_ORIGINS: Type.String({
    default: '',
    pattern: `^(\\*|${origin}(\\s*,\\s*${origin})*)?$`,
    description:
      'Comma-separated exact origins (scheme://host[:port]) allowed to call the API from a browser, with credentials. ' +
      '`*` alone allows every origin, without credentials. Empty: no CORS headers.',
  }),
});

export type GatewayConfig = Static<typeof gatewayConfigSchema>;
