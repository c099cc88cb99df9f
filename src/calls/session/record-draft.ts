import type { CallRecordWriter } from '../call-record-writer';

/**
 * A session's writes to its call record. Fields that can wait (queued, IVR path, overflow) are kept
 * and go out with the next write: the live state of a waiting call is in Redis, and a call that waits
 * and ends then costs two writes (arrival, end), which matters on a write-bound store. Every write goes
 * through the call record writer: in order per call, off the call's path, retried.
 */
export class RecordDraft<F extends object> {
  private pending: Partial<F> = {};

  constructor(
    private readonly callId: string,
    private readonly writer: CallRecordWriter,
  ) {}

  defer(fields: Partial<F>): void {
    this.pending = { ...this.pending, ...fields };
  }

  /** Queues `fields` (with what was deferred) behind the call's earlier writes. */
  write(fields: Partial<F>): void {
    const update = { ...this.pending, ...fields };
    this.pending = {};
    this.writer.queue(this.callId, update);
  }

  /** The record's first write: the document itself. */
  create(fields: Partial<F>): void {
    this.writer.queue(this.callId, fields, { create: true });
  }
}
