// UserStore (and RefreshTokenStore) backends for behaviour suites that run once per backend.
import { MongoClient, type Db } from 'mongodb';
import { inject } from 'vitest';
import {
  MemoryRefreshTokenStore,
  MemoryUserStore,
  MongoRefreshTokenStore,
  MongoUserStore,
  type RefreshTokenStore,
  type UserStore,
} from '@chatorbit/shared';

export interface OpenUserStore {
  users: UserStore;
  /** Refresh tokens on the same backend (the same database for Mongo). */
  sessions: RefreshTokenStore;
  /** The store's database, for the Mongo backend: lets a test write documents as older versions did. */
  db?: Db;
  close(): Promise<void>;
}

export type OpenUserStoreFn = (dbName: string) => Promise<OpenUserStore>;

export const openMemoryUserStore: OpenUserStoreFn = async () => {
  const users = new MemoryUserStore();
  await users.init();
  return { users, sessions: new MemoryRefreshTokenStore(), close: async () => {} };
};

/** A MongoUserStore in its own database on the test server; the database is dropped on close. */
export const openMongoUserStore: OpenUserStoreFn = async (dbName) => {
  const client = new MongoClient(inject('mongoUrl'), { serverSelectionTimeoutMS: 5_000 });
  await client.connect();
  const db = client.db(dbName);
  const users = new MongoUserStore(db);
  await users.init();
  const sessions = new MongoRefreshTokenStore(db);
  await sessions.init();
  return {
    users,
    sessions,
    db,
    close: async () => {
      try {
        await db.dropDatabase();
      } finally {
        await client.close();
      }
    },
  };
};

export const userStoreCases: [string, OpenUserStoreFn][] = [
  ['memory', openMemoryUserStore],
  ['mongo', openMongoUserStore],
];
