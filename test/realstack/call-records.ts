import type { Models } from '../../src/store/models';

/** Polls (real time, up to 20 s) for the call record from a number until it satisfies `until`. */
export async function callRecordOf(models: Models, from: string, until: (r: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  let last: Record<string, unknown> | null = null;
  for (let i = 0; i < 100; i++) {
    last = (await models.CallRecord.findOne({ from }).lean()) as Record<string, unknown> | null;
    if (last && until(last)) return last;
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`no finished call record from ${from}; last seen: ${JSON.stringify(last)}`);
}

/** The record's recording has been closed (RECORD_STOP reached the app). */
export function recordingStopped(r: Record<string, unknown>): boolean {
  return !!(r.recording as { stoppedAt?: unknown } | undefined)?.stoppedAt;
}
