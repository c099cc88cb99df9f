import type Redis from 'ioredis';
import type { Connection } from 'mongoose';
import { mongoAlive } from '../store/connect';
import type { Switch } from '../telephony/switch';

export type PartState = 'up' | 'down';
export interface Readiness {
  ready: boolean;
  /** This instance's id (the owner written on its calls). */
  instance?: string;
  /** leader: this instance also runs the deployment's upkeep (sweeper, reconciler, outbox); member: it takes calls and desks only. */
  role?: 'leader' | 'member';
  redis: PartState;
  mongodb: PartState;
  switch: PartState;
  /** The switch's own parts (drachtio-server, FreeSWITCH, with their addresses), when it has several. */
  switchParts?: Record<string, PartState>;
}

async function redisAlive(redis: Redis): Promise<boolean> {
  if (redis.status !== 'ready') return false;
  try {
    return (await Promise.race([redis.ping(), new Promise<string>((r) => setTimeout(() => r('timeout'), 1000))])) === 'PONG';
  } catch {
    return false;
  }
}

/** Ready only when Redis, MongoDB and the switch all answer now. */
export async function readiness(redis: Redis, mongo: Connection, sw: Switch): Promise<Readiness> {
  const [r, m] = await Promise.all([redisAlive(redis), mongoAlive(mongo)]);
  const s = sw.isConnected();
  const state = (b: boolean): PartState => (b ? 'up' : 'down');
  const parts = sw.parts?.();
  return { ready: r && m && s, redis: state(r), mongodb: state(m), switch: state(s), ...(parts ? { switchParts: parts } : {}) };
}
