import { createHash, randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import { z } from 'zod';

const entrySchema = z.object({ username: z.string(), gen: z.number().int() });

/**
 * Refresh tokens: random, kept in Redis only as their SHA-256 with the user and token generation,
 * expiring on their own. Each is good for one use: redeeming it deletes it (GETDEL), and the caller
 * gets a new pair. A logout bumps the user's generation, which makes every outstanding one worthless.
 */
export class RefreshTokens {
  constructor(
    private readonly redis: Redis,
    private readonly ns: string,
    readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private key(token: string): string {
    return `${this.ns}:auth:refresh:${createHash('sha256').update(token).digest('hex')}`;
  }

  async issue(username: string, gen: number): Promise<{ refreshToken: string; refreshExpiresAt: number }> {
    const refreshToken = randomBytes(32).toString('base64url');
    await this.redis.set(this.key(refreshToken), JSON.stringify({ username, gen }), 'PX', this.ttlMs);
    return { refreshToken, refreshExpiresAt: this.now() + this.ttlMs };
  }

  /** The token's user and generation, once: the token is gone afterwards. */
  async redeem(token: string): Promise<{ username: string; gen: number } | undefined> {
    const raw = await this.redis.getdel(this.key(token));
    if (!raw) return undefined;
    const parsed = entrySchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  }

  async revoke(token: string): Promise<void> {
    await this.redis.del(this.key(token));
  }
}
