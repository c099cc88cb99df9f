import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ROLES } from '../store/models';

const claimsSchema = z.object({ sub: z.string().min(1), roles: z.array(z.enum(ROLES)), exp: z.number() });
export type TokenClaims = z.infer<typeof claimsSchema>;

/** Signed, expiring bearer tokens (HMAC-SHA256) for the REST API and the agent socket. */
export class TokenSigner {
  constructor(
    private readonly secret: string,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  issue(sub: string, roles: TokenClaims['roles']): { token: string; expiresAt: number } {
    const exp = this.now() + this.ttlMs;
    const body = Buffer.from(JSON.stringify({ sub, roles, exp })).toString('base64url');
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
    return createHmac('sha256', this.secret).update(body).digest('base64url');
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
