/**
 * DTMF sent as SIP INFO (the fallback for phones that do not send RFC 2833 events): the body of
 * `application/dtmf-relay` ("Signal=5\r\nDuration=160") or `application/dtmf` ("5").
 * Returns the key, or undefined when the INFO carries no valid one.
 */
export function dtmfFromSipInfo(contentType: string | undefined, body: string): string | undefined {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  let key: string | undefined;
  if (type === 'application/dtmf-relay') {
    const m = /^\s*signal\s*=\s*(\S+)\s*$/im.exec(body);
    key = m?.[1];
  } else if (type === 'application/dtmf') {
    key = body.trim();
  } else return undefined;
  if (key === undefined) return undefined;
  if (key === '10') return '*';
  if (key === '11') return '#';
  return /^[0-9*#A-Da-d]$/.test(key) ? key.toUpperCase() : undefined;
}
