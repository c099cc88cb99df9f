/**
 * What a REGISTER asks for, read from its Contact and Expires headers (RFC 3261 §10.2): the contact
 * to bind and for how long, or to remove the binding (Expires 0, or `Contact: *`).
 */
export type RegisterIntent = { kind: 'bind'; contact: string; expiresSec: number } | { kind: 'unbind' } | { kind: 'query' } | { kind: 'invalid'; reason: string };

export function readRegister(contactHeader: string | undefined, expiresHeader: string | undefined, defaultExpiresSec = 3600): RegisterIntent {
  const headerExpires = expiresHeader === undefined ? undefined : Number(expiresHeader.trim());
  if (headerExpires !== undefined && (!Number.isInteger(headerExpires) || headerExpires < 0)) return { kind: 'invalid', reason: `bad Expires ${JSON.stringify(expiresHeader)}` };
  if (!contactHeader || contactHeader.trim() === '') return { kind: 'query' };
  if (contactHeader.trim() === '*') return headerExpires === 0 ? { kind: 'unbind' } : { kind: 'invalid', reason: 'Contact: * needs Expires: 0' };
  const first = contactHeader.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)[0] ?? '';
  const uri = /<([^>]+)>/.exec(first)?.[1] ?? first.split(';')[0]?.trim();
  if (!uri || !/^sips?:/i.test(uri)) return { kind: 'invalid', reason: `bad Contact ${JSON.stringify(first.trim())}` };
  const paramText = first.includes('>') ? first.slice(first.indexOf('>') + 1) : '';
  const paramExpires = /;\s*expires\s*=\s*(\d+)/i.exec(paramText)?.[1];
  const expiresSec = paramExpires !== undefined ? Number(paramExpires) : (headerExpires ?? defaultExpiresSec);
  if (expiresSec === 0) return { kind: 'unbind' };
  return { kind: 'bind', contact: uri, expiresSec };
}
