import type { Logger } from 'pino';
import type { CallRecordDoc } from '../store/models';
import type { LegId, RecordingStopped, Switch } from '../telephony/switch';
import type { CallRecordWriter } from './call-record-writer';
import { detach } from '../util/detach';

export type RecordingMeta = NonNullable<CallRecordDoc['recording']>;

/**
 * Records conversations: when a customer and an agent are connected, the customer's leg is recorded
 * in stereo (customer left, agent right), filed by the store's local date. The call session writes
 * the metadata through its own ordered call-record writes; a recording that ends after its session
 * is gone is saved here. A recording that cannot start never breaks the call.
 */
export class CallRecorder {
  constructor(
    private readonly d: {
      sw: Switch;
      records: CallRecordWriter;
      enabled: boolean;
      /** The store's time zone (recordings are filed by its local date). */
      timeZoneOf: (storeId: string | undefined) => string;
      log: Logger;
    },
  ) {}

  /** Starts recording the customer's leg; the metadata to write, or undefined when not recording. */
  async record(callId: string, customerLeg: LegId, storeId: string | undefined, now: number): Promise<RecordingMeta | undefined> {
    if (!this.d.enabled) return undefined;
    try {
      const { file } = await this.d.sw.startRecording(customerLeg, { name: callId, timeZone: this.d.timeZoneOf(storeId) });
      return { file, startedAt: new Date(now) };
    } catch (err) {
      this.d.log.warn({ err: (err as Error).message, callId }, 'recording did not start; the call goes on unrecorded');
      return undefined;
    }
  }

  /** The agent masks the recording while the customer reads out card details. */
  async mask(customerLeg: LegId, masked: boolean): Promise<void> {
    await this.d.sw.setRecordingMasked(customerLeg, masked);
  }

  /** What a finished recording adds to the metadata written at its start. */
  static stoppedMeta(started: RecordingMeta | undefined, e: RecordingStopped): RecordingMeta {
    return { ...started, file: e.file, stoppedAt: new Date(e.at), durationMs: e.durationMs, channels: e.channels, maskedMs: e.maskedMs };
  }

  /** A recording whose call session is over: saved through the call record's ordered writes, without the session. */
  saveLate(e: RecordingStopped): void {
    const set = { 'recording.file': e.file, 'recording.stoppedAt': new Date(e.at), 'recording.durationMs': e.durationMs, 'recording.channels': e.channels, 'recording.maskedMs': e.maskedMs };
    detach(this.d.records.write(e.name, set), this.d.log, 'late recording metadata not saved', { callId: e.name });
  }
}
