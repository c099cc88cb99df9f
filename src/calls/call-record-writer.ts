import type { InflightWrites } from '../lifecycle/inflight';
import type { Logger } from '../log';
import type { Models } from '../store/models';
import { withDurableRetry } from '../store/retry';
import { detach } from '../util/detach';

/**
 * Every write this process makes to a call record, one at a time per call, in the order asked.
 *
 * A call record has several writers: its session (arrival, connect, end), in-call controls and
 * transfers (totals), the recording's end, the agent's disposition. Some land after the session is
 * gone. MongoDB applies each update atomically, but FerretDB (the embedded store) reads, changes and
 * writes back a document, so two updates of one record in flight at once can lose one of them.
 * Ordering them per call here costs nothing on MongoDB and makes both stores keep every field.
 *
 * Writes asked while an earlier write of the same call is in flight are coalesced: they wait as one
 * batch (later fields win, as consecutive $sets would) and go out in one round trip when the earlier
 * one has landed. Under load, or when the store is slow, a call then costs fewer round trips.
 */
export class CallRecordWriter {
  /** The last write queued for each call that has one not yet settled. */
  private readonly tails = new Map<string, Promise<void>>();
  /** The write of each call that waits for the one in flight and still takes more fields. */
  private readonly open = new Map<string, Batch>();
  /** Round trips made and writes asked (their ratio is what coalescing saves). */
  readonly stats = { asked: 0, sent: 0 };

  constructor(private readonly d: { models: Models; inflight: InflightWrites; log: Logger }) {}

  private readonly landedHooks: ((callId: string, fields: object) => void)[] = [];

  /** Told after each write has landed (the interval reports count a call when its record says it ended). */
  onLanded(fn: (callId: string, fields: object) => void): void {
    this.landedHooks.push(fn);
  }

  /** Queues a write nobody waits for: as write(), its failure logged here with the call id. */
  queue(callId: string, fields: object, opts: { create?: boolean } = {}): void {
    this.write(callId, fields, opts).catch(() => undefined); // logged by write's own tail
  }

  /**
   * Queues a write of `fields` ($set, or the document's creation) behind the call's earlier writes.
   * Resolves when it has landed; rejects when it failed (after retrying passing errors), and the
   * failure is logged here too.
   */
  write(callId: string, fields: object, opts: { create?: boolean } = {}): Promise<void> {
    this.stats.asked += 1;
    const open = this.open.get(callId);
    if (open && canJoin(open, fields as Record<string, unknown>, opts.create === true)) {
      Object.assign(open.fields, fields);
      return open.landed;
    }
    const batch: Batch = { fields: { ...fields }, create: opts.create === true, landed: Promise.resolve() };
    const before = this.settled(callId);
    if (this.tails.has(callId)) this.open.set(callId, batch);
    batch.landed = this.send(callId, batch, before);
    return batch.landed;
  }

  private send(callId: string, batch: Batch, before: Promise<void>): Promise<void> {
    const { CallRecord } = this.d.models;
    const run = before.then(async () => {
      // from here on the batch is on its way: a later write starts a new one
      if (this.open.get(callId) === batch) this.open.delete(callId);
      this.stats.sent += 1;
      const fields = batch.fields;
      const opts = { create: batch.create };
      // retried while the store is unreachable (a restart, an outage of minutes): the record completes when it is back
      await withDurableRetry<unknown>(
        async () => {
          if (!opts.create) return CallRecord.updateOne({ _id: callId }, { $set: fields }).exec();
          try {
            return await CallRecord.create({ _id: callId, callId, ...fields });
          } catch (err) {
            // an attempt whose answer was lost may have created it already
            if ((err as { code?: number }).code === 11000) return CallRecord.updateOne({ _id: callId }, { $set: fields }).exec();
            throw err;
          }
        },
        undefined,
        (err, attempt) => {
          if (attempt === 1) this.d.log.warn({ err: (err as Error).message, callId }, 'call record write failed; retrying until the database is back');
        },
      );
      for (const fn of this.landedHooks) fn(callId, fields);
    });
    const tail = run.catch((err: unknown) => this.d.log.error({ err, callId, fields: Object.keys(batch.fields) }, 'call record write failed'));
    this.tails.set(callId, tail);
    const forget = tail.then(() => {
      if (this.tails.get(callId) === tail) this.tails.delete(callId);
    });
    detach(this.d.inflight.track(forget), this.d.log, 'call record bookkeeping failed', { callId });
    // `tail` handles a failure of `run` (logs it); a caller that waits gets the error too
    return run;
  }

  /** Settles once every write queued so far for the call has settled. */
  settled(callId: string): Promise<void> {
    return this.tails.get(callId) ?? Promise.resolve();
  }

  /** Calls with writes still queued or in flight. */
  get pendingCalls(): number {
    return this.tails.size;
  }
}

interface Batch {
  fields: Record<string, unknown>;
  create: boolean;
  landed: Promise<void>;
}

/**
 * Whether `fields` can join a waiting batch: not a creation joining an update (the document is
 * created first, alone), and no field path inside another's (`recording` and `recording.file` in one
 * $set is refused by MongoDB; nor do dotted paths belong in a created document).
 */
function canJoin(batch: Batch, fields: Record<string, unknown>, create: boolean): boolean {
  if (create && !batch.create) return false;
  const keys = Object.keys(fields);
  if (batch.create && keys.some((k) => k.includes('.'))) return false;
  const have = Object.keys(batch.fields);
  return !keys.some((k) => have.some((h) => k !== h && (k.startsWith(`${h}.`) || h.startsWith(`${k}.`))));
}
