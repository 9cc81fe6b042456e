import type { UserRef } from '@chatorbit/shared';

export const auditActions = ['ban', 'timeout', 'unban', 'role_grant', 'role_revoke', 'ratelimit_set', 'ratelimit_reset', 'settings_set', 'message_delete', 'room_clear', 'room_create'] as const;
export type AuditAction = (typeof auditActions)[number];

export interface AuditEntry {
  /** 24-hex, increasing with time: the paging cursor. */
  id: string;
  at: number;
  actor: UserRef;
  action: AuditAction;
  /** null: a global action (global ban, default rate limit). */
  room: string | null;
  /** The user acted upon, if any. */
  target: string | null;
  reason: string | null;
  /** When what was done ends by itself (a timeout), ms since the epoch. */
  expiresAt: number | null;
  /** Action-specific facts (a role, a rate limit). */
  details: Record<string, unknown> | null;
}

export interface AuditQuery {
  /** undefined: every room and global; null: global actions only. */
  room?: string | null;
  actor?: string;
  target?: string;
  action?: AuditAction;
  /** Only entries older than this id. */
  before?: string;
  limit: number;
}

/** Every moderation action, newest first. Contract: record never loses an entry it resolved for. */
export interface AuditLog {
  init(): Promise<void>;
  record(entry: Omit<AuditEntry, 'id' | 'at'>): Promise<AuditEntry>;
  list(query: AuditQuery): Promise<AuditEntry[]>;
  get(id: string): Promise<AuditEntry | undefined>;
}
