import type Redis from 'ioredis';
import type { QueueConfig } from '../acd/queue-directory';
import type { AgentStore } from '../agents/agent-store';
import type { LiveCalls } from '../calls/live-calls';
import type { Clock } from '../clock/clock';
import type { Logger } from '../log';
import type { StoreBoard } from '../shared/board-events';
import type { BoardCounters } from './board-counters';
import type { BoardDirectory } from './board-directory';
import { storeBoard } from './board-snapshot';

export interface BoardPublisherDeps {
  /** A Redis connection of the board's own (its polling stays off the calls' connection). */
  redis: Redis;
  ns: string;
  counters: BoardCounters;
  agents: AgentStore;
  live: LiveCalls;
  directory: BoardDirectory;
  queues: () => QueueConfig[];
  clock: Clock;
  /** Sends one store's board to every viewer of the store (a socket.io room, on every instance). */
  emit: (board: StoreBoard) => void;
  /** How often the version is checked (ms); a change is on the boards within about this plus the computation. */
  pollMs: number;
  /** Every store's board is recomputed and sent at least this often, changed or not (a wall screen shows it is alive). */
  refreshMs: number;
  log: Logger;
}

export interface BoardPublisherStats {
  computations: number;
  storesSent: number;
  /** Process CPU time spent computing boards, in microseconds (user + system). */
  cpuMicros: number;
  lastComputeMs: number;
}

/**
 * The live board's one computation: run by the deployment's leader. Every pollMs it reads the board
 * version (bumped by every counted event and agent state change on any instance); when it moved, or
 * refreshMs passed, it reads the live state from Redis once, builds every store's board, and sends
 * each store's board to its room if it changed (or is due for a refresh). The last board of each
 * store is kept in Redis for a board that connects to any instance.
 */
export class BoardPublisher {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private lastVersion = '';
  private lastFull = 0;
  private readonly sent = new Map<string, { json: string; at: number }>();
  private readonly s: BoardPublisherStats = { computations: 0, storesSent: 0, cpuMicros: 0, lastComputeMs: 0 };

  constructor(private readonly d: BoardPublisherDeps) {}

  snapshotKey(storeId: string): string {
    return `${this.d.ns}:board:snap:${storeId}`;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.sent.clear();
    this.lastVersion = '';
    this.arm(0);
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  stats(): BoardPublisherStats {
    return { ...this.s };
  }

  /** Recompute at the next poll whatever the version says (a user or store changed). */
  refreshSoon(): void {
    this.lastFull = 0;
    this.d.directory.invalidate();
  }

  private arm(delayMs: number): void {
    if (!this.running) return;
    // real time on purpose: freshness is about what people see, whatever clock the calls run on
    this.timer = setTimeout(() => {
      this.tick()
        .catch((err: unknown) => this.d.log.warn({ err }, 'board computation failed'))
        .finally(() => this.arm(this.d.pollMs));
    }, delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const version = (await this.d.redis.get(this.d.counters.versionKey)) ?? '0';
    const real = Date.now();
    if (version === this.lastVersion && real - this.lastFull < this.d.refreshMs) return;
    this.lastVersion = version;
    const full = real - this.lastFull >= this.d.refreshMs;
    if (full) this.lastFull = real;
    await this.publish(full);
  }

  /** Builds every store's board and sends those that changed (all of them with `all`). */
  async publish(all = false): Promise<void> {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const now = this.d.clock.now();
    const day = this.d.counters.day(now);
    const queues = this.d.queues();
    const [dir0, statuses, live, counters] = await Promise.all([
      this.d.directory.get(Date.now()),
      this.d.agents.listStatuses(),
      this.d.live.all(),
      this.d.counters.queueCounters(
        queues.map((q) => q.queueId),
        day,
      ),
    ]);
    const known = new Set(dir0.people.map((p) => p.agentId));
    const stranger = [...statuses].some(([id, s]) => s.state !== 'logged_out' && !known.has(id));
    const dir = stranger ? await this.d.directory.get(Date.now(), true) : dir0;
    const times = await this.d.counters.agentTimes(
      dir.people.map((p) => p.agentId),
      day,
    );
    const storeIds = new Set<string>([...dir.stores.map((s) => s.storeId), ...queues.flatMap((q) => (q.storeId ? [q.storeId] : [])), ...dir.people.flatMap((p) => p.storeIds)]);
    const names = new Map(dir.stores.map((s) => [s.storeId, s.name]));
    const liveRows = [...live.entries()];
    const boards: StoreBoard[] = [];
    for (const storeId of storeIds) {
      boards.push(
        storeBoard({
          now,
          day,
          store: { storeId, name: names.get(storeId) ?? storeId },
          queues: queues.filter((q) => q.storeId === storeId),
          counters,
          people: dir.people.filter((p) => p.storeIds.includes(storeId)),
          statuses,
          times,
          live: liveRows.filter(([, s]) => s.storeId === storeId),
          voicemailsWaiting: dir.voicemails.get(storeId) ?? 0,
        }),
      );
    }
    const real = Date.now();
    const pipe = this.d.redis.pipeline();
    for (const b of boards) {
      const json = JSON.stringify({ ...b, at: 0 });
      const last = this.sent.get(b.storeId);
      if (!all && last && last.json === json && real - last.at < this.d.refreshMs) continue;
      this.sent.set(b.storeId, { json, at: real });
      this.d.emit(b);
      pipe.set(this.snapshotKey(b.storeId), JSON.stringify(b), 'PX', 10 * this.d.refreshMs);
      this.s.storesSent++;
    }
    const cpu = process.cpuUsage(cpu0);
    this.s.computations++;
    this.s.cpuMicros += cpu.user + cpu.system;
    this.s.lastComputeMs = performance.now() - t0;
    await pipe.exec();
  }

  /** The last boards sent for these stores (for a board that just connected). */
  async latest(storeIds: readonly string[]): Promise<StoreBoard[]> {
    if (storeIds.length === 0) return [];
    const raw = await this.d.redis.mget(...storeIds.map((s) => this.snapshotKey(s)));
    return raw.flatMap((r) => (r ? [JSON.parse(r) as StoreBoard] : []));
  }
}
