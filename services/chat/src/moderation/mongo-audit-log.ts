import { ObjectId, type Collection, type Db, type Filter } from 'mongodb';
import type { AuditEntry, AuditLog, AuditQuery } from './audit-log.ts';

type AuditDoc = Omit<AuditEntry, 'id' | 'at'> & { _id: ObjectId; at: Date };

/** The `moderation_actions` collection. ObjectIds grow with time: `_id` orders and pages it. */
export class MongoAuditLog implements AuditLog {
  private readonly actions: Collection<AuditDoc>;

  constructor(db: Db) {
    this.actions = db.collection<AuditDoc>('moderation_actions');
  }

  async init() {
    await this.actions.createIndex({ room: 1, _id: -1 }, { name: 'room_id' });
    await this.actions.createIndex({ target: 1, _id: -1 }, { name: 'target_id' });
  }

  async record(entry: Omit<AuditEntry, 'id' | 'at'>) {
    const doc: AuditDoc = { _id: new ObjectId(), at: new Date(), ...entry };
    await this.actions.insertOne(doc);
    return toEntry(doc);
  }

  async list(q: AuditQuery) {
    const filter: Filter<AuditDoc> = {};
    if (q.room !== undefined) filter.room = q.room;
    if (q.actor) filter['actor.id'] = q.actor;
    if (q.target) filter.target = q.target;
    if (q.action) filter.action = q.action;
    if (q.before && ObjectId.isValid(q.before)) filter._id = { $lt: new ObjectId(q.before) };
    const docs = await this.actions.find(filter).sort({ _id: -1 }).limit(q.limit).toArray();
    return docs.map(toEntry);
  }

  async get(id: string) {
    if (!ObjectId.isValid(id) || id.length !== 24) return undefined;
    const doc = await this.actions.findOne({ _id: new ObjectId(id) });
    return doc ? toEntry(doc) : undefined;
  }
}

function toEntry({ _id, at, ...rest }: AuditDoc): AuditEntry {
  return { id: _id.toHexString(), at: at.getTime(), ...rest };
}
