import { MongoBulkWriteError, MongoServerError, type Collection, type Db, type Filter } from 'mongodb';
import type { Message } from '@chatorbit/shared';
import type { RangeQuery } from '../broker/broker.ts';
import type { LoggedMessage, MessageLog } from './message-log.ts';

interface MessageDoc {
  /** The message id: a retried insert of the same message fails with E11000 and is skipped. */
  _id: string;
  room: string;
  seq: number;
  user: { id: string; name: string };
  text: string;
  ts: Date;
  /** Soft delete: kept for the record, hidden from history. */
  deleted?: boolean;
}

/** Every message in the `messages` collection, indexed {room:1, seq:-1} for paging. */
export class MongoMessageLog implements MessageLog {
  private readonly messages: Collection<MessageDoc>;
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
    this.messages = db.collection<MessageDoc>('messages');
  }

  async init() {
    // Not unique: after a Redis failover that lost the master's last writes, a seq can be handed
    // out again; both messages are kept (the id is what is unique) rather than one dropped.
    await this.messages.createIndex({ room: 1, seq: -1 }, { name: 'room_seq_desc' });
    // For retention: deleting by age is a range scan on ts, not a collection scan.
    await this.messages.createIndex({ ts: 1 }, { name: 'ts' });
  }

  async prune(cutoff: Date) {
    return (await this.messages.deleteMany({ ts: { $lt: cutoff } })).deletedCount;
  }

  async ping() {
    await this.db.command({ ping: 1 });
  }

  async append(messages: readonly Message[]) {
    if (messages.length === 0) return;
    const docs = messages.map((m) => ({ _id: m.id, room: m.room, seq: m.seq, user: m.user, text: m.text, ts: new Date(m.ts) }));
    try {
      // Unordered: one duplicate (a retry of a batch partly stored) does not stop the rest.
      await this.messages.insertMany(docs, { ordered: false });
    } catch (err) {
      if (!onlyDuplicates(err)) throw err;
    }
  }

  async page(room: string, { after, before, limit, order }: RangeQuery) {
    const filter: Filter<MessageDoc> = { room };
    if (after !== undefined || before !== undefined) {
      filter.seq = { ...(after !== undefined ? { $gt: after } : {}), ...(before !== undefined ? { $lt: before } : {}) };
    }
    const docs = await this.messages
      .find(filter)
      .sort({ seq: order === 'asc' ? 1 : -1 })
      .limit(limit)
      .toArray();
    return docs.map(toMessage);
  }

  async find(room: string, id: string) {
    const doc = await this.messages.findOne({ _id: id, room });
    return doc ? toMessage(doc) : undefined;
  }

  async markDeleted(room: string, what: { ids: readonly string[] } | { upTo: number }) {
    const filter: Filter<MessageDoc> = 'ids' in what ? { _id: { $in: [...what.ids] }, room } : { room, seq: { $lte: what.upTo } };
    await this.messages.updateMany(filter, { $set: { deleted: true } });
  }
}

function toMessage(d: MessageDoc): LoggedMessage {
  return {
    id: d._id,
    room: d.room,
    seq: d.seq,
    user: { id: d.user.id, name: d.user.name },
    text: d.text,
    ts: d.ts.getTime(),
    ...(d.deleted ? { deleted: true } : {}),
  };
}

/** True when an insert failed only because some documents were there already. */
function onlyDuplicates(err: unknown): boolean {
  if (err instanceof MongoBulkWriteError) {
    const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
    return errors.length > 0 && errors.every((e) => e.code === 11000);
  }
  return err instanceof MongoServerError && err.code === 11000;
}
