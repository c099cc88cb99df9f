import type { QueueConfig } from '../acd/queue-directory';
import type { SkillRequirement } from '../acd/queue-store';
import type { Clock } from '../clock/clock';
import type { CustomerRouting } from '../crm/screen-pop';
import type { IvrFlow } from '../ivr/flow-schema';
import { IvrSession, type IvrResult } from '../ivr/ivr-session';
import type { Logger } from '../log';
import type { StoreCalendar } from '../org/business-hours';
import { LegGoneError, type LegId, type Switch } from '../telephony/switch';

/** Where the call waits and for whom: decided by the IVR, or by the defaults of the dialled queue. */
export interface RoutingRequest {
  priority: number;
  skills: SkillRequirement[];
  /** Username of the agent this caller should reach first (the customer's owner). */
  preferredAgent: string | undefined;
}

/** How the caller came through the door: answered, then the IVR flow or the queue's greeting. */
export type Arrival =
  /** The caller hung up meanwhile (the hang-up event finishes the call). */
  | { kind: 'left' }
  | { kind: 'enqueue'; queue: QueueConfig; routing: RoutingRequest }
  /** The caller chose to be called back: keeps a place in `queue`, hears `prompt`, hangs up. */
  | { kind: 'callback'; queue: QueueConfig; prompt: string }
  /** The flow said goodbye. */
  | { kind: 'hangup' }
  /** The flow sends the caller to another number (e.g. the service hotline). */
  | { kind: 'transfer'; number: string };

export interface ArrivalDeps {
  sw: Switch;
  clock: Clock;
  log: Logger;
  queueConfig(queueId: string): QueueConfig | undefined;
  storeCalendar(storeId: string): StoreCalendar | undefined;
}

/**
 * Answers an inbound leg and runs what the dialled number has in front of its queue: the IVR flow, or
 * the queue's greeting. Returns where the caller goes next, and the IVR's path for the record and pop.
 */
export async function arrive(d: ArrivalDeps, leg: LegId, queue: QueueConfig, flow: IvrFlow | undefined, customer: CustomerRouting | undefined): Promise<{ arrival: Arrival; ivr?: IvrResult }> {
  const defaults: RoutingRequest = { priority: 0, skills: [], preferredAgent: customer?.owningUser };
  try {
    await d.sw.answer(leg);
    if (!flow) {
      const greeting = await d.sw.play(leg, { id: queue.greetingPrompt });
      return { arrival: greeting.outcome === 'hangup' ? { kind: 'left' } : { kind: 'enqueue', queue, routing: defaults } };
    }
    const ivr = await new IvrSession(flow, {
      sw: d.sw,
      legId: leg,
      facts: { knownCustomer: customer !== undefined, grade: customer?.grade, owningStore: customer?.owningStoreId, owningUser: customer?.owningUser },
      now: () => d.clock.now(),
      stores: (id) => d.storeCalendar(id),
      log: d.log,
    }).run();
    return { arrival: afterIvr(d, ivr), ivr };
  } catch (err) {
    if (err instanceof LegGoneError) return { arrival: { kind: 'left' } };
    throw err;
  }
}

function afterIvr(d: ArrivalDeps, ivr: IvrResult): Arrival {
  const o = ivr.outcome;
  switch (o.kind) {
    case 'caller_left':
      return { kind: 'left' };
    case 'hangup':
      return { kind: 'hangup' };
    case 'transfer':
      return { kind: 'transfer', number: o.number };
    case 'enqueue':
    case 'callback': {
      const target = d.queueConfig(o.queueId);
      if (!target) throw new Error(`IVR flow ${ivr.flowId} names queue ${o.queueId}, which no longer exists`);
      return o.kind === 'enqueue' ? { kind: 'enqueue', queue: target, routing: { priority: o.priority, skills: o.skills, preferredAgent: o.preferredAgent } } : { kind: 'callback', queue: target, prompt: o.prompt };
    }
  }
}
