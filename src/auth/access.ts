import type { ErrorCode } from '../shared/errors';
import type { Principal, Principals } from './principals';
import type { TokenSigner } from './tokens';

export type AccessResult = { ok: true; principal: Principal } | { ok: false; code: Extract<ErrorCode, 'unauthorized' | 'session_expired' | 'account_disabled'>; error: string };

/**
 * Whether an access token still opens the door: well signed and unexpired, its user exists and is
 * active, and it is of the user's current token generation (logout and deactivation bump it).
 */
export async function checkAccess(tokens: TokenSigner, principals: Principals, token: string | undefined): Promise<AccessResult> {
  const claims = token ? tokens.verify(token) : undefined;
  if (!claims) return { ok: false, code: 'unauthorized', error: 'missing or expired token: log in again (or POST /api/auth/refresh)' };
  const principal = await principals.get(claims.sub);
  if (!principal) return { ok: false, code: 'unauthorized', error: 'this account no longer exists' };
  if (!principal.active) return { ok: false, code: 'account_disabled', error: 'this account is disabled' };
  if (principal.tokenGeneration !== claims.gen) return { ok: false, code: 'session_expired', error: 'this session was ended (logged out or changed): log in again' };
  return { ok: true, principal };
}

/** The token of an `Authorization: Bearer <token>` header; the scheme is case-insensitive (RFC 7235). */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  return m?.[1];
}
