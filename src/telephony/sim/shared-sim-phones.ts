import type Redis from 'ioredis';
import type { InstanceBus } from '../../cluster/instance-bus';
import type { Logger } from '../../log';
import type { SimSwitch } from './sim-switch';

/** The softphone behaviours that can travel between instances (no callbacks). */
export type SharedBehaviour = { answer: 'auto'; afterMs: number } | { answer: 'busy' } | { answer: 'never' };

interface Change {
  address: string;
  instance: string;
  behaviour: SharedBehaviour | null;
}

const TOPIC = 'sim.phone';

/**
 * The simulated softphones of desks and boards, shared by every app instance on one Redis: a desk
 * connected to instance B rings when instance A, which runs the call, dials it. Each instance's
 * simulated switch mirrors the phones online anywhere; a phone stays online while any instance
 * holds it. Kept in a Redis hash (field `address|instance`) for instances that start later, and
 * announced on the instance bus for those already running. Phones of instances that died are
 * dropped when the hash is read.
 */
export class SharedSimPhones {
  private readonly holders = new Map<string, Map<string, SharedBehaviour>>();

  constructor(
    private readonly d: { sim: SimSwitch; redis: Redis; bus: InstanceBus; key: string; self: string; dead: (ids: readonly string[]) => Promise<Set<string>>; log: Logger },
  ) {}

  async start(): Promise<void> {
    this.d.bus.on<Change>(TOPIC, (c) => this.apply(c));
    const all = await this.d.redis.hgetall(this.d.key);
    const fields = Object.entries(all).map(([field, raw]) => {
      const cut = field.lastIndexOf('|');
      return { field, address: field.slice(0, cut), instance: field.slice(cut + 1), raw };
    });
    const dead = await this.d.dead([...new Set(fields.map((f) => f.instance))].filter((i) => i !== this.d.self));
    const gone: string[] = [];
    for (const f of fields) {
      if (dead.has(f.instance) || f.instance === this.d.self) gone.push(f.field);
      else this.apply({ address: f.address, instance: f.instance, behaviour: JSON.parse(f.raw) as SharedBehaviour });
    }
    if (gone.length > 0) await this.d.redis.hdel(this.d.key, ...gone);
  }

  online(address: string, behaviour: SharedBehaviour): void {
    this.publish({ address, instance: this.d.self, behaviour });
  }

  offline(address: string): void {
    this.publish({ address, instance: this.d.self, behaviour: null });
  }

  /** Applied here at once; stored and announced in the background (a lost announcement only delays a ring elsewhere). */
  private publish(c: Change): void {
    this.apply(c);
    const field = `${c.address}|${c.instance}`;
    const write = c.behaviour ? this.d.redis.hset(this.d.key, field, JSON.stringify(c.behaviour)) : this.d.redis.hdel(this.d.key, field);
    write.then(() => this.d.bus.broadcast(TOPIC, c)).catch((err: unknown) => this.d.log.warn({ err, address: c.address }, 'simulated phone not shared with the other instances'));
  }

  private apply(c: Change): void {
    const held = this.holders.get(c.address) ?? new Map<string, SharedBehaviour>();
    if (c.behaviour) held.set(c.instance, c.behaviour);
    else held.delete(c.instance);
    const behaviour = held.get(this.d.self) ?? [...held.values()][0];
    if (!behaviour) {
      this.holders.delete(c.address);
      this.d.sim.unregisterEndpoint(c.address);
      return;
    }
    this.holders.set(c.address, held);
    this.d.sim.registerEndpoint(c.address, behaviour);
  }
}
