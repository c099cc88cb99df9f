/**
 * Where a call recording is written: `<root>/<yyyy>/<mm>/<dd>/<callId>.wav`, dated in the dealer's
 * time zone so a day's folder holds that business day, stereo (customer left, agent right).
 */
export function recordingPath(root: string, callId: string, at: number, timeZone: string): string {
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(callId) || callId.includes('..')) throw new Error(`call id ${JSON.stringify(callId)} cannot name a file`);
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date(at));
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? '00';
  return `${root.replace(/\/+$/, '')}/${get('year')}/${get('month')}/${get('day')}/${callId}.wav`;
}
