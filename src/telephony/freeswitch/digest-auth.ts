import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { deriveKey } from '../../auth/keys';

/**
 * SIP digest authentication (RFC 2617 / 3261 §22, MD5, qop=auth) for REGISTER and INVITE from agents'
 * phones. Nonces are stateless: a timestamp signed with a key derived from the server secret for
 * nonces alone, so any app instance can check them and they expire on their own.
 */

export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
  algorithm?: string;
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

export function parseDigest(header: string | undefined): DigestCredentials | undefined {
  if (!header || !/^\s*digest\s/i.test(header)) return undefined;
  const fields: Record<string, string> = {};
  const re = /([a-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/gi;
  for (let m = re.exec(header); m; m = re.exec(header)) fields[(m[1] as string).toLowerCase()] = m[2] ?? m[3] ?? '';
  const { username, realm, nonce, uri, response } = fields;
  if (!username || realm === undefined || !nonce || !uri || !response) return undefined;
  const creds: DigestCredentials = { username, realm, nonce, uri, response };
  if (fields.qop) creds.qop = fields.qop;
  if (fields.nc) creds.nc = fields.nc;
  if (fields.cnonce) creds.cnonce = fields.cnonce;
  if (fields.algorithm) creds.algorithm = fields.algorithm;
  return creds;
}

/** `secret` is AUTH_SECRET; the nonce key is derived from it (HKDF, purpose sip-nonce). */
export function makeNonce(secret: string, now: number): string {
  const ts = now.toString(36);
  return `${ts}.${createHmac('sha256', deriveKey(secret, 'sip-nonce')).update(`nonce:${ts}`).digest('base64url').slice(0, 22)}`;
}

/** 'ok', 'stale' (well signed but older than maxAgeMs: the phone retries with a new nonce) or 'bad'. */
export function checkNonce(nonce: string, secret: string, now: number, maxAgeMs: number): 'ok' | 'stale' | 'bad' {
  const [ts] = nonce.split('.');
  if (!ts || makeNonce(secret, parseInt(ts, 36)) !== nonce) return 'bad';
  return now - parseInt(ts, 36) > maxAgeMs ? 'stale' : 'ok';
}

export function challengeHeader(realm: string, nonce: string, stale = false): string {
  return `Digest realm="${realm}", nonce="${nonce}", algorithm=MD5, qop="auth"${stale ? ', stale=true' : ''}`;
}

/** The response a client with this password computes (also used by test phones). */
export function digestResponse(c: Omit<DigestCredentials, 'response'>, password: string, method: string): string {
  const ha1 = md5(`${c.username}:${c.realm}:${password}`);
  const ha2 = md5(`${method}:${c.uri}`);
  return c.qop ? md5(`${ha1}:${c.nonce}:${c.nc ?? ''}:${c.cnonce ?? ''}:${c.qop}:${ha2}`) : md5(`${ha1}:${c.nonce}:${ha2}`);
}

export function verifyDigest(c: DigestCredentials, password: string, method: string): boolean {
  if (c.algorithm && c.algorithm.toUpperCase() !== 'MD5') return false;
  const expected = Buffer.from(digestResponse(c, password, method));
  const got = Buffer.from(c.response.toLowerCase());
  return expected.length === got.length && timingSafeEqual(expected, got);
}

/**
 * An agent's SIP password, derived (HKDF key for SIP passwords, then HMAC) from the server secret,
 * their user name and their `sipPasswordVersion`: nothing more to store; resetting one agent's
 * password is a version bump, and rotating AUTH_SECRET changes everyone's. The desktop fetches it
 * with its login token (GET /api/me/sip); a desk phone is provisioned with it by an admin.
 */
export function sipPasswordFor(userId: string, secret: string, version = 0): string {
  return createHmac('sha256', deriveKey(secret, 'sip-password')).update(`sip-password:${userId}:${version}`).digest('base64url').slice(0, 20);
}
