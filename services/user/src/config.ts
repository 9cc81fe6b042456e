import { Type, type Static } from 'typebox';
import { commonConfig, storageConfig, verifierConfig } from '@chatorbit/shared';

export const userConfigSchema = Type.Object({
  ...commonConfig(8082),
  ...storageConfig,
  REDIS_URL: Type.Optional(
    Type.String({
      pattern: '^rediss?://',
      description:
        "Redis URL, credentials included (`redis://:password@host:6379/0`): the user service records deactivated accounts there and announces them to every chat node (same Redis and REDIS_PREFIX as chat). Unset, and REDIS_SENTINELS unset too: a deactivation reaches only this process's chat (`pnpm start`). Set only one of the two.",
    }),
  ),
  ...verifierConfig,
});

export type UserConfig = Static<typeof userConfigSchema>;
