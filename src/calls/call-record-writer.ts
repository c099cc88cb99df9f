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
 */
export class CallRecordWriter {
  /** The last write queued for each call that has one not yet settled. */
  private readonly tails = new Map<string, Promise<void>>();

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
    const { CallRecord } = this.d.models;
    const run = this.settled(callId).then(async () => {
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
    const tail = run.catch((err: unknown) => this.d.log.error({ err, callId, fields: Object.keys(fields) }, 'call record write failed'));
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
