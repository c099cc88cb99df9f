import type Mrf from 'drachtio-fsmrf';

export interface RecordStop {
  /** Length FreeSWITCH wrote (record_ms), when it says. */
  durationMs: number | undefined;
  file: string | undefined;
}

/**
 * The RECORD_STOP FreeSWITCH sends on an endpoint's own event socket when the recording of `file`
 * (started with uuid_record) is closed: by `uuid_record stop`, its time limit, or the channel's end.
 */
export function nextRecordStop(ep: Mrf.Endpoint, file: string): { done: Promise<RecordStop>; cancel: () => void } {
  const event = `esl::event::RECORD_STOP::${ep.uuid}`;
  // fsmrf drops the connection (sets it null) when the endpoint is destroyed
  const conn = ep.conn as Mrf.EslConnection | null;
  if (!conn) return { done: Promise.resolve({ durationMs: undefined, file: undefined }), cancel: () => undefined };
  let listener: (evt: Mrf.EslEvent) => void = () => undefined;
  const done = new Promise<RecordStop>((resolve) => {
    listener = (evt) => {
      const path = evt.getHeader('Record-File-Path');
      if (path !== undefined && path !== file) return; // another recording on the same channel
      conn.removeListener(event, listener);
      const ms = Number(evt.getHeader('variable_record_ms') ?? NaN);
      resolve({ durationMs: Number.isFinite(ms) && ms > 0 ? ms : undefined, file: path });
    };
  });
  conn.subscribe('RECORD_STOP');
  conn.on(event, listener);
  return { done, cancel: () => void conn.removeListener(event, listener) };
}
