import type { Models } from '../store/models';
import type { QueueStore, Strategy } from './queue-store';
import { DEFAULT_SL, type SlTarget } from '../shared/contact-metrics';

/** After max wait: another queue, a queued callback (the caller keeps the place), a voicemail, or a goodbye. */
export type Overflow = { kind: 'queue'; queueId: string } | { kind: 'callback' } | { kind: 'voicemail' } | { kind: 'hangup' };

export interface QueueConfig {
  queueId: string;
  name: string;
  storeId: string | undefined;
  numbers: string[];
  greetingPrompt: string;
  offerTimeoutMs: number;
  wrapUpMs: number;
  strategy: Strategy;
  maxWaitMs: number | undefined;
  overflow: Overflow | undefined;
  preferredWaitMs: number;
  dispositionCodes: string[];
  /** Position and estimated-wait announcements this often while queued; undefined: none. */
  announceEveryMs: number | undefined;
  /** Key that turns waiting into a queued callback (offered in announcements); undefined: not offered. */
  callbackKey: string | undefined;
  wrapUpExtendMaxMs: number;
  /** The agent must save an outcome before leaving wrap-up (the wrap-up timer does not make them ready). */
  requireDisposition: boolean;
  /** false: deactivated; dialled numbers no longer route to it. */
  active: boolean;
  /** Service-level target and thresholds (default 80/20, short abandons under 5 s). */
  serviceLevel: SlTarget;
}

/** Queue definitions (MongoDB), cached; which queue a dialled number lands in. */
export class QueueDirectory {
  private byId = new Map<string, QueueConfig>();

  constructor(
    private readonly models: Models,
    private readonly store: QueueStore,
    private readonly defaults: { offerTimeoutMs: number; wrapUpMs: number },
  ) {}

  /** (Re)reads the definitions and publishes each queue's strategy to Redis for the matching scripts. */
  async load(): Promise<void> {
    const docs = await this.models.Queue.find().sort({ createdAt: 1 }).lean();
    this.byId = new Map(
      docs.map((d) => [
        d.queueId,
        {
          queueId: d.queueId,
          name: d.name,
          storeId: d.storeId ?? undefined,
          numbers: d.numbers,
          greetingPrompt: d.greetingPrompt,
          offerTimeoutMs: d.offerTimeoutMs ?? this.defaults.offerTimeoutMs,
          wrapUpMs: d.wrapUpMs ?? this.defaults.wrapUpMs,
          strategy: d.strategy,
          maxWaitMs: d.maxWaitMs ?? undefined,
          overflow: overflowOf(d.overflow),
          preferredWaitMs: d.preferredWaitMs,
          dispositionCodes: d.dispositionCodes,
          announceEveryMs: d.announceEveryMs ?? undefined,
          callbackKey: d.callbackKey ?? undefined,
          wrapUpExtendMaxMs: d.wrapUpExtendMaxMs,
          requireDisposition: d.requireDisposition,
          active: d.active !== false,
          serviceLevel: {
            target: d.serviceLevel?.target ?? DEFAULT_SL.target,
            thresholdSec: d.serviceLevel?.thresholdSec ?? DEFAULT_SL.thresholdSec,
            shortAbandonSec: d.serviceLevel?.shortAbandonSec ?? DEFAULT_SL.shortAbandonSec,
          },
        },
      ]),
    );
    for (const q of this.byId.values()) await this.store.configure(q.queueId, { strategy: q.strategy });
  }

  ids(): Set<string> {
    return new Set(this.byId.keys());
  }

  get(queueId: string): QueueConfig | undefined {
    return this.byId.get(queueId);
  }

  /** The queue whose numbers include the dialled number; else the first queue defined. */
  forDialled(to: string): QueueConfig | undefined {
    const digits = to.replace(/[^0-9]/g, '');
    const active = [...this.byId.values()].filter((q) => q.active);
    for (const q of active) if (q.numbers.some((n) => n.replace(/[^0-9]/g, '') === digits)) return q;
    return active[0];
  }
}

function overflowOf(o: { kind?: string | null; queueId?: string | null } | null | undefined): Overflow | undefined {
  if (o?.kind === 'queue' && o.queueId) return { kind: 'queue', queueId: o.queueId };
  if (o?.kind === 'hangup') return { kind: 'hangup' };
  if (o?.kind === 'callback') return { kind: 'callback' };
  if (o?.kind === 'voicemail') return { kind: 'voicemail' };
  return undefined;
}
