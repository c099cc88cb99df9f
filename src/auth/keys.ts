import { hkdfSync } from 'node:crypto';

/**
 * One server secret (AUTH_SECRET), one key per purpose: HKDF-SHA256 (RFC 5869) with the purpose as
 * `info`, so a key that leaks from one use (a SIP nonce, a token) says nothing about the others.
 */
export type KeyPurpose = 'token-signing' | 'sip-nonce' | 'sip-password';

const SALT = 'dcc-cti/v1';
const cache = new Map<string, Buffer>();

export function deriveKey(secret: string, purpose: KeyPurpose): Buffer {
  const id = `${purpose}\u0000${secret}`;
  let key = cache.get(id);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', secret, SALT, `dcc-cti ${purpose}`, 32));
    cache.set(id, key);
  }
  return key;
}
