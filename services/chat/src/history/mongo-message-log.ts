import { MongoBulkWriteError, MongoServerError, type Collection, type Db } from 'mongodb';
import type { Message } from '@chatorbit/shared';
import type { MessageLog, PageQuery } from './message-log.ts';

interface MessageDoc {
  /** The message id: a retried insert of the same message fails with E11000 and is ignored. */
  _id: string;
  room: string;
  seq: number;
  user: { id: string; name: string };
  text: string;
  ts: Date;
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
    await this.messages.createIndex({ room: 1, seq: -1 }, { name: 'room_seq', unique: true });
  }

  async ping() {
    await this.db.command({ ping: 1 });
  }

  async append(m: Message) {
    try {
      await this.messages.insertOne({ _id: m.id, room: m.room, seq: m.seq, user: m.user, text: m.text, ts: new Date(m.ts) });
    } catch (err) {
      if (isDuplicate(err)) return;
      throw err;
    }
  }

  async page(room: string, { before, limit }: PageQuery) {
    const filter = before === undefined ? { room } : { room, seq: { $lt: before } };
    const docs = await this.messages.find(filter).sort({ seq: -1 }).limit(limit).toArray();
    return docs.map((d) => ({
      id: d._id,
      room: d.room,
      seq: d.seq,
      user: { id: d.user.id, name: d.user.name },
      text: d.text,
      ts: d.ts.getTime(),
    }));
  }
}

function isDuplicate(err: unknown) {
  return (err instanceof MongoServerError || err instanceof MongoBulkWriteError) && err.code === 11000;
}
