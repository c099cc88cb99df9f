import type Redis from 'ioredis';
import { InstanceUnreachable, type InstanceBus } from '../cluster/instance-bus';
import type { Logger } from '../log';
import { UserError } from '../util/user-error';

/** A campaign's owner key lasts this long unless renewed (an instance that dies hands the campaign over). */
export const OWNER_TTL_MS = 15_000;

/** Renews the owner key only while this instance still holds it (compare-and-set): 1 renewed, 0 lost. */
const RENEW_IF_OWNER = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0";
/** Deletes the owner key only if this instance still holds it. */
const RELEASE_IF_OWNER = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0";

/** The answer of `route`: carried out on the owner (with its value) or to be done here. */
export type Routed<R> = { forwarded: true; value: R } | { forwarded: false };

/**
 * Who dials a campaign, in Redis, so several app instances never dial one campaign twice and a dead
 * instance's campaigns are taken over within seconds:
 * - `<ns>:dialer:<id>:owner` holds the owning instance's id with a 15 s expiry, claimed with SET NX
 *   and renewed by compare-and-set (an instance that finds the key gone or someone else's stops
 *   dialling the campaign at once);
 * - `<ns>:dialer:running` is the set of campaigns whose status is running; every instance looks every
 *   couple of seconds for one of them without an owner and claims it (see CampaignRunner.adoptOrphans);
 * - `<ns>:dialer:held:<agent>` names the instance where an agent holds a preview lead.
 * Commands about a campaign (start, pause, stop, its live view, a preview lead) run on its owner: this
 * instance when it owns it, else they are sent to the owner over the instance bus.
 */
export class CampaignOwnership {
  constructor(
    private readonly redis: Redis,
    private readonly ns: string,
    readonly self: string,
    private readonly bus: InstanceBus | undefined,
    private readonly log: Logger,
  ) {}

  private ownerKey(campaignId: string): string {
    return `${this.ns}:dialer:${campaignId}:owner`;
  }

  private get runningKey(): string {
    return `${this.ns}:dialer:running`;
  }

  private heldKey(agentId: string): string {
    return `${this.ns}:dialer:held:${agentId}`;
  }

  /** True when this instance now owns the campaign (newly or already). */
  async claim(campaignId: string): Promise<boolean> {
    const key = this.ownerKey(campaignId);
    if ((await this.redis.set(key, this.self, 'PX', OWNER_TTL_MS, 'NX')) === 'OK') return true;
    return (await this.redis.get(key)) === this.self;
  }

  /** False when the key is gone or another instance's: this instance must stop dialling the campaign. */
  async renew(campaignId: string): Promise<boolean> {
    return (await this.redis.eval(RENEW_IF_OWNER, 1, this.ownerKey(campaignId), this.self, OWNER_TTL_MS)) === 1;
  }

  async release(campaignId: string): Promise<void> {
    await this.redis.eval(RELEASE_IF_OWNER, 1, this.ownerKey(campaignId), this.self);
  }

  async ownerOf(campaignId: string): Promise<string | null> {
    return this.redis.get(this.ownerKey(campaignId));
  }

  /** Keeps the set of running campaigns in step with their status in MongoDB. */
  async markRunning(campaignId: string, running: boolean): Promise<void> {
    if (running) await this.redis.sadd(this.runningKey, campaignId);
    else await this.redis.srem(this.runningKey, campaignId);
  }

  /** Campaigns marked running that no instance owns now. */
  async orphans(): Promise<string[]> {
    const ids = await this.redis.smembers(this.runningKey);
    if (ids.length === 0) return [];
    const owners = await this.redis.mget(ids.map((id) => this.ownerKey(id)));
    return ids.filter((_, i) => owners[i] === null);
  }

  async holdLead(agentId: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.heldKey(agentId), this.self, 'PX', ttlMs);
  }

  async dropLead(agentId: string): Promise<void> {
    await this.redis.eval(RELEASE_IF_OWNER, 1, this.heldKey(agentId), this.self);
  }

  /** Answers `method` when another instance sends it here. */
  handle<A extends unknown[], R>(method: string, run: (...args: A) => Promise<R>): void {
    this.bus?.handle(`campaign.${method}`, (args: unknown) => run(...(args as A)));
  }

  /** Sends `method` to the campaign's owner when that is another live instance. */
  async route<R>(campaignId: string, method: string, args: unknown[]): Promise<Routed<R>> {
    return this.forward(await this.ownerOf(campaignId), method, args);
  }

  /** Sends `method` to the instance where the agent holds a preview lead, when that is another. */
  async routeHeld<R>(agentId: string, method: string, args: unknown[]): Promise<Routed<R>> {
    const key = this.heldKey(agentId);
    // a hold on an instance that died is forgotten (the lead comes up again when its campaign is taken over)
    return this.forward(await this.redis.get(key), method, args, async () => void (await this.redis.del(key)));
  }

  private async forward<R>(owner: string | null, method: string, args: unknown[], gone?: () => Promise<void>): Promise<Routed<R>> {
    if (!this.bus || owner === null || owner === this.self) return { forwarded: false };
    try {
      return { forwarded: true, value: await this.bus.request<R>(owner, `campaign.${method}`, args) };
    } catch (err) {
      if (!(err instanceof InstanceUnreachable)) throw err;
      if (gone) {
        await gone();
        return { forwarded: false };
      }
      // the owner died without releasing its key: the key expires and a live instance takes the campaign over
      this.log.warn({ owner, method, reason: err.message }, 'campaign owner did not answer');
      throw new UserError('unavailable', 'the server running this campaign did not answer; try again in a few seconds');
    }
  }
}
