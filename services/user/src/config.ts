import { Type, type Static } from 'typebox';
import { commonConfig, storageConfig, verifierConfig } from '@chatorbit/shared';

export const userConfigSchema = Type.Object({
  ...commonConfig(8082),
  ...storageConfig,
  ...verifierConfig,
});

export type UserConfig = Static<typeof userConfigSchema>;
