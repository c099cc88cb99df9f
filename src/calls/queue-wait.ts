import type { QueueConfig } from '../acd/queue-directory';
import type { QueueStore } from '../acd/queue-store';
import { DEFAULT_HANDLE_MS, estimateWaitMinutes } from '../acd/wait-estimate';
import type { Clock, TimerHandle } from '../clock/clock';
import { numberPrompts } from '../ivr/prompt-catalog';
import type { LegId, Switch } from '../telephony/switch';

/**
 * The timers of a call waiting in a queue, each owned by the call: the preferred agent's window
 * (when it closes any qualified agent may take the call: match again), the queue's maximum wait
 * (overflow), and the position/estimated-wait announcements.
 */
export class QueueWait {
  private preferred: TimerHandle | undefined;
  private maxWait: TimerHandle | undefined;
  private announce: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly callId: string,
    private readonly on: { rematch(queueId: string): void; maxWait(): void; announce(): void },
  ) {}

  /** Entering `queue` (first time or overflow): the waiting time counts from `enqueuedAt`. */
  arm(queue: QueueConfig, enqueuedAt: number, preferredUntil: number | undefined): void {
    this.clear();
    this.armAnnouncement(queue);
    const now = this.clock.now();
    if (preferredUntil !== undefined) this.preferred = this.clock.setTimer(`call:${this.callId}:preferred`, Math.max(0, preferredUntil - now), () => this.on.rematch(queue.queueId));
    if (queue.maxWaitMs !== undefined) this.maxWait = this.clock.setTimer(`call:${this.callId}:max-wait`, Math.max(0, enqueuedAt + queue.maxWaitMs - now), () => this.on.maxWait());
  }

  armAnnouncement(queue: QueueConfig): void {
    this.clock.clearTimer(this.announce);
    if (queue.announceEveryMs !== undefined) this.announce = this.clock.setTimer(`call:${this.callId}:announce`, queue.announceEveryMs, () => this.on.announce());
  }

  clear(): void {
    for (const t of [this.preferred, this.maxWait, this.announce]) this.clock.clearTimer(t);
    this.preferred = this.maxWait = this.announce = undefined;
  }
}

/**
 * Tells a waiting caller their place and the estimated wait, offering the callback key if the queue
 * has one. 'callback': the caller pressed it; 'hangup': they left meanwhile; 'done' otherwise (hold
 * music is not restarted here).
 */
export async function announcePosition(d: { sw: Switch; queues: QueueStore }, leg: LegId, callId: string, queue: QueueConfig, language: 'zh-CN' | 'en'): Promise<'callback' | 'hangup' | 'done' | 'not_waiting'> {
  const position = await d.queues.position(callId, queue.queueId);
  if (position === undefined) return 'not_waiting';
  const stats = await d.queues.stats(queue.queueId);
  const minutes = estimateWaitMinutes(position - 1, stats.avgHandleMs ?? DEFAULT_HANDLE_MS, stats.ready + stats.active);
  const ids = ['queue_position_is', ...numberPrompts(position - 1), 'queue_callers_ahead', 'queue_wait_is', ...numberPrompts(minutes), 'queue_minutes'];
  const key = queue.callbackKey;
  if (key) ids.push('queue_callback_offer');
  await d.sw.stopHoldMusic(leg);
  for (const id of ids) {
    const r = await d.sw.play(leg, { id, language }, { bargeIn: key !== undefined });
    if (r.outcome === 'hangup') return 'hangup';
    if (r.outcome === 'interrupted' && r.digit === key) return 'callback';
    if (r.outcome === 'interrupted') break;
  }
  return 'done';
}

/** Where a call goes when it has waited the queue's maximum. */
export type OverflowPlan = { kind: 'callback' } | { kind: 'voicemail' } | { kind: 'queue'; next: QueueConfig } | { kind: 'goodbye' };

export function overflowPlan(queue: QueueConfig, queueConfig: (queueId: string) => QueueConfig | undefined): OverflowPlan {
  const target = queue.overflow;
  if (target?.kind === 'callback') return { kind: 'callback' };
  if (target?.kind === 'voicemail') return { kind: 'voicemail' };
  const next = target?.kind === 'queue' ? queueConfig(target.queueId) : undefined;
  return next ? { kind: 'queue', next } : { kind: 'goodbye' };
}
