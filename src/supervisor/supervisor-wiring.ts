import type Redis from 'ioredis';
import type { Connection } from 'mongoose';
import type { QueueDirectory } from '../acd/queue-directory';
import type { AgentService } from '../agents/agent-service';
import { AgentStore } from '../agents/agent-store';
import type { AgentStatus } from '../agents/agent-state';
import { LiveCalls } from '../calls/live-calls';
import type { Clock } from '../clock/clock';
import type { InflightWrites } from '../lifecycle/inflight';
import type { Logger } from '../log';
import { RedisKeys } from '../redis/keys';
import type { StoreBoard } from '../shared/board-events';
import type { Models } from '../store/models';
import { detach } from '../util/detach';
import { bindAuditLog } from './audit-log';
import { BoardCounters } from './board-counters';
import { BoardDirectory } from './board-directory';
import { BoardPublisher } from './board-publisher';
import { BoardCallTally } from './call-tally';
import { ForceState } from './force-state';

/** How often the board's publisher looks for changes, and the longest a board goes without being sent. */
export const BOARD_POLL_MS = 200;
export const BOARD_REFRESH_MS = 5_000;

/** The live board's counters, fed by the calls and the agents' state changes (made before them). */
export function boardCounting(redis: Redis, ns: string, timeZone: string, inflight: InflightWrites, log: Logger): { counters: BoardCounters; tally: BoardCallTally; observeAgent: (agentId: string, status: AgentStatus) => void } {
  const counters = new BoardCounters(redis, ns, timeZone);
  const tally = new BoardCallTally(counters, inflight, log);
  return {
    counters,
    tally,
    observeAgent: (agentId, status) => detach(inflight.track(counters.agentState(agentId, status.state, status.since)), log, 'agent time not counted for the board', { agentId }),
  };
}

/** The board's publisher (run by the leader) on a Redis connection of its own, and the supervisors' forced states. */
export function boardServices(d: {
  boardRedis: Redis;
  ns: string;
  timeZone: string;
  mongo: Connection;
  models: Models;
  queueDirectory: QueueDirectory;
  agents: AgentService;
  ready: (agentId: string, queueIds: readonly string[]) => Promise<void>;
  clock: Clock;
  emit: (board: StoreBoard) => void;
  log: Logger;
}): { publisher: BoardPublisher; force: ForceState } {
  const publisher = new BoardPublisher({
    redis: d.boardRedis,
    ns: d.ns,
    counters: new BoardCounters(d.boardRedis, d.ns, d.timeZone),
    agents: new AgentStore(d.boardRedis, new RedisKeys(d.ns)),
    live: new LiveCalls(d.boardRedis, d.ns),
    directory: new BoardDirectory(d.models, 10_000),
    queues: () => [...d.queueDirectory.ids()].flatMap((id) => d.queueDirectory.get(id) ?? []),
    clock: d.clock,
    emit: d.emit,
    pollMs: BOARD_POLL_MS,
    refreshMs: BOARD_REFRESH_MS,
    log: d.log,
  });
  const force = new ForceState({ models: d.models, audit: bindAuditLog(d.mongo), agents: d.agents, ready: d.ready, now: () => d.clock.now(), log: d.log });
  return { publisher, force };
}
