import type { BlockedTerms, RoomSettings, UserRef } from '@chatorbit/shared';

export const defaultSettings: RoomSettings = {
  slowModeSec: 0,
  slowModeUntil: 0,
  autoSlowModeRate: 0,
  autoSlowModeSec: 5,
  autoSlowModeForSec: 60,
  blockedTerms: [],
  blockedPatterns: [],
};

/** Whether slow mode applies now. */
export const slowModeOn = (s: RoomSettings, now = Date.now()) => s.slowModeSec > 0 && (s.slowModeUntil === 0 || now < s.slowModeUntil);

export const roomRoles = ['owner', 'moderator', 'vip'] as const;
export type RoomRole = (typeof roomRoles)[number];

/** Roles a rate limit may exempt (an owner counts as a moderator). */
export const exemptableRoles = ['moderator', 'vip'] as const;
export type ExemptableRole = (typeof exemptableRoles)[number];

export interface Ban {
  userId: string;
  /** null: a global ban, from every room. */
  room: string | null;
  /** When it ends, ms since the epoch; null = permanent. A ban with an end is a timeout. */
  until: number | null;
  reason: string;
  by: UserRef;
  at: number;
}

export interface RateLimit {
  /** Messages allowed per `perSec` seconds per user; 0 = no limit. */
  messages: number;
  perSec: number;
  /** Room roles that are not limited. */
  exempt: ExemptableRole[];
}

/**
 * Bans, room roles and rate limits, shared by every chat node.
 *
 * Contract: a ban takes effect for sends at once (the send script reads it) and reaches every
 * node's sockets through the broker (a `ban` bus event) as part of the same call; a timeout ends
 * by itself at `until`. A room's rate limit overrides the default, which overrides the configured
 * one, and a change applies to the next send.
 */
/** What a room's history must not show: deleted messages, and everything up to a clear. */
export interface Hidden {
  ids: ReadonlySet<string>;
  upTo: number;
}

/** One message, a banned user's recent messages, or every message up to a seq (a clear). */
export type HideRequest = { id: string } | { userId: string; ids: string[] } | { upTo: number };

export interface ModerationStore {
  hidden(room: string): Promise<Hidden>;
  /** Hides messages; every node tells its members. */
  hide(room: string, what: HideRequest, nodeId: string): Promise<void>;
  ban(ban: Ban, nodeId: string): Promise<void>;
  /** Returns false when there was no such ban. */
  unban(room: string | null, userId: string): Promise<boolean>;
  /** The ban that keeps the user out of the room (the room's own or a global one), if any. */
  banOf(room: string, userId: string): Promise<Ban | undefined>;
  bans(room: string | null): Promise<Ban[]>;
  roleOf(room: string, userId: string): Promise<RoomRole | undefined>;
  roles(room: string): Promise<Array<{ userId: string; role: RoomRole }>>;
  /** Sets (or with undefined removes) a user's role in a room. */
  setRole(room: string, userId: string, role: RoomRole | undefined): Promise<void>;
  /** Makes `userId` the room's owner unless it has one; returns the owner. */
  claimOwnership(room: string, userId: string): Promise<{ owner: string; created: boolean }>;
  settings(room: string): Promise<RoomSettings>;
  /** Stores the room's settings and tells every node (a `settings` bus event on the room's channel). */
  setSettings(room: string, settings: RoomSettings, nodeId: string): Promise<void>;
  /** True for one caller per period: the node that turns automatic slow mode on. */
  claimAutoSlowMode(room: string, forMs: number): Promise<boolean>;
  /** The blocked terms of every room. */
  globalSettings(): Promise<BlockedTerms>;
  /** Stores them and tells every node (a `global_settings` event on the control channel). */
  setGlobalSettings(settings: BlockedTerms, nodeId: string): Promise<void>;
  /** The limit in force: the room's override, else the default. */
  rateLimit(room: string | null): Promise<{ limit: RateLimit; source: 'room' | 'default' | 'config' }>;
  /** Sets (or with undefined removes) the room's override, or the default with room null. */
  setRateLimit(room: string | null, limit: RateLimit | undefined): Promise<void>;
}
