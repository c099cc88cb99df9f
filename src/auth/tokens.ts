import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * What an access token says: who (`sub`), the user's token generation when it was issued (`gen`:
 * logout and deactivation bump the user's, which ends every older token) and its expiry. Roles and
 * stores are not in it: every request reads them from the user record.
 */
const claimsSchema = z.object({ sub: z.string().min(1), gen: z.number().int().min(0), exp: z.number() });
export type TokenClaims = z.infer<typeof claimsSchema>;

/** Signed, short-lived access tokens (HMAC-SHA256 with the token-signing key) for the REST API and the sockets. */
export class TokenSigner {
  constructor(
    private readonly key: Buffer,
    readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  issue(sub: string, gen: number): { token: string; expiresAt: number } {
    const exp = this.now() + this.ttlMs;
    const body = Buffer.from(JSON.stringify({ sub, gen, exp })).toString('base64url');
    return { token: `${body}.${this.sign(body)}`, expiresAt: exp };
  }

  /** The claims, or undefined when the token is malformed, forged or expired. */
  verify(token: string): TokenClaims | undefined {
    const [body, sig] = token.split('.');
    if (!body || !sig) return undefined;
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    try {
      const claims = claimsSchema.parse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
      return claims.exp > this.now() ? claims : undefined;
    } catch {
      return undefined;
    }
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}

/** AUTH_SECRET when given; otherwise a random secret kept in <varDir>/auth-secret (embedded mode). */
export function resolveAuthSecret(configured: string | undefined, varDir: string): string {
  if (configured) return configured;
  const file = path.join(varDir, 'auth-secret');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    const secret = randomBytes(32).toString('base64url');
    fs.mkdirSync(varDir, { recursive: true });
    fs.writeFileSync(file, `${secret}\n`, { mode: 0o600 });
    return secret;
  }
}
