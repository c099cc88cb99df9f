import type Mrf from 'drachtio-fsmrf';
import { nextChannelEvent } from './channel-events';

export interface RecordStop {
  /** Length FreeSWITCH wrote (record_ms), when it says. */
  durationMs: number | undefined;
  file: string | undefined;
}

/**
 * The RECORD_STOP FreeSWITCH sends on an endpoint's own event socket when the recording of `file`
 * (started with uuid_record) is closed: by `uuid_record stop`, its time limit, or the channel's end.
 * Cancelled, or on a channel without a socket, it settles with nothing known.
 */
export function nextRecordStop(ep: Mrf.Endpoint, file: string): { done: Promise<RecordStop>; cancel: () => void } {
  const next = nextChannelEvent(ep, 'RECORD_STOP', (evt) => {
    const path = evt.getHeader('Record-File-Path');
    return path === undefined || path === file; // not another recording on the same channel
  });
  const done = next.done.then((evt): RecordStop => {
    const ms = Number(evt?.getHeader('variable_record_ms') ?? NaN);
    return { durationMs: Number.isFinite(ms) && ms > 0 ? ms : undefined, file: evt?.getHeader('Record-File-Path') };
  });
  return { done, cancel: next.cancel };
}
