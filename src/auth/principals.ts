import type { Models, Role } from '../store/models';

/** Who a user is now, as the user record says: roles, stores, whether the account is active. */
export interface Principal {
  username: string;
  displayName: string;
  roles: Role[];
  storeIds: string[];
  queueIds: string[];
  active: boolean;
  tokenGeneration: number;
  sipPasswordVersion: number;
}

/**
 * User records as requests see them, cached in-process: every request reads roles and stores from
 * here, never from its token. A change made anywhere drops the entry on every instance (AccountEvents,
 * over Redis pub/sub); the short lifetime bounds the damage of a missed message.
 */
export class Principals {
  private readonly cache = new Map<string, { principal: Principal | undefined; until: number }>();

  constructor(
    private readonly models: Models,
    private readonly ttlMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  async get(username: string): Promise<Principal | undefined> {
    const hit = this.cache.get(username);
    if (hit && hit.until > this.now()) return hit.principal;
    const u = await this.models.User.findOne({ username }, { passwordHash: 0 }).lean();
    const principal: Principal | undefined = u
      ? {
          username: u.username,
          displayName: u.displayName,
          roles: u.roles as Role[],
          storeIds: u.storeIds,
          queueIds: u.queueIds,
          active: u.active !== false,
          tokenGeneration: u.tokenGeneration ?? 0,
          sipPasswordVersion: u.sipPasswordVersion ?? 0,
        }
      : undefined;
    this.cache.set(username, { principal, until: this.now() + this.ttlMs });
    if (this.cache.size > 10_000) this.cache.delete(this.cache.keys().next().value as string);
    return principal;
  }

  forget(username: string): void {
    this.cache.delete(username);
  }
}
