import type { Clock, TimerHandle } from '../clock/clock';
import type { Logger } from '../log';
import { LegGoneError, type DialResult, type Switch } from '../telephony/switch';
import type { Pacer, PacingSnapshot } from './pacing/pacer';
import { LiveStats } from './pacing/live-stats';
import type { AbandonLedger, AgentPool, DialLead, DialOutcome, LeadSource } from './ports';
import { detach } from '../util/detach';

export interface CampaignSettings {
  campaignId: string;
  callerId: string;
  ringTimeoutMs: number;
  /** How long a person who answered may wait for an agent before the safe-harbor message (2 s by law). */
  safeHarborMs: number;
  safeHarborPrompt: string;
  /** Answering machines: hang up, or play a message first. */
  machine: { action: 'hangup' } | { action: 'message'; prompt: string };
  abandonLimit: number;
  /** How often pacing is decided. */
  tickMs: number;
  /** After-call work of the campaign's agents: a talking agent is free only after it. */
  wrapUpMs: number;
}

export type EngineState = { state: 'running' } | { state: 'paused' } | { state: 'stopped'; reason: 'stopped' | 'exhausted' };

export interface EngineCounters {
  placed: number;
  live: number;
  connected: number;
  abandoned: number;
  machine: number;
  busy: number;
  noAnswer: number;
  failed: number;
}

/**
 * One campaign's dialling loop: every tick it asks the pacer how many calls to place, takes leads,
 * places calls through the Switch port, and handles each result: a person is given an agent at
 * once or within the safe-harbor time, else hears the safe-harbor message and the call counts as
 * abandoned in the ledger; machines follow the campaign's rule. It never dials with nobody
 * logged in, and stops (saying so) when the list is exhausted.
 */
export class CampaignEngine {
  readonly counters: EngineCounters = { placed: 0, live: 0, connected: 0, abandoned: 0, machine: 0, busy: 0, noAnswer: 0, failed: 0 };
  readonly stats = new LiveStats();
  private inFlight = 0;
  /** Dial time of each call still ringing. */
  private readonly ringing = new Set<{ placedAt: number }>();
  private live = 0;
  private timer: TimerHandle | undefined;
  private status: EngineState = { state: 'paused' };
  private ticking = false;

  constructor(
    private readonly s: CampaignSettings,
    private readonly deps: { sw: Switch; clock: Clock; pacer: Pacer; leads: LeadSource; agents: AgentPool; ledger: AbandonLedger; log: Logger; onStop?: (reason: 'stopped' | 'exhausted') => void },
  ) {}

  get state(): EngineState {
    return this.status;
  }

  /** Calls placed and not yet finished ringing, plus answered calls waiting for an agent. */
  get callsInProgress(): number {
    return this.inFlight + this.live;
  }

  start(): void {
    if (this.status.state === 'running') return;
    this.status = { state: 'running' };
    this.arm();
  }

  pause(): void {
    if (this.status.state === 'running') this.status = { state: 'paused' };
    this.deps.clock.clearTimer(this.timer);
  }

  stop(reason: 'stopped' | 'exhausted' = 'stopped'): void {
    this.deps.clock.clearTimer(this.timer);
    if (this.status.state === 'stopped') return;
    this.status = { state: 'stopped', reason };
    this.deps.log.info({ campaignId: this.s.campaignId, reason }, reason === 'exhausted' ? 'campaign stopped: the list is exhausted' : 'campaign stopped');
    this.deps.onStop?.(reason);
  }

  private arm(): void {
    this.timer = this.deps.clock.setTimer(`dialer:${this.s.campaignId}:tick`, this.s.tickMs, async () => {
      await this.tick();
      if (this.status.state === 'running') this.arm();
    });
  }

  /** One pacing decision. */
  async tick(): Promise<void> {
    if (this.ticking || this.status.state !== 'running') return;
    this.ticking = true;
    try {
      const now = this.deps.clock.now();
      const { agents } = this.deps;
      await agents.refresh?.(now);
      if (agents.loggedIn() === 0) return; // never dial with nobody to take the call
      const n = this.deps.pacer.decide(await this.snapshot(now));
      for (let i = 0; i < n; i++) {
        const lead = await this.deps.leads.next(now);
        if (!lead) {
          if (this.callsInProgress === 0 && (await this.deps.leads.exhausted(now))) this.stop('exhausted');
          break;
        }
        detach(this.place(lead), this.deps.log, 'placing a lead failed', { campaignId: this.s.campaignId, leadId: lead.leadId });
      }
    } catch (err) {
      this.deps.log.error({ err, campaignId: this.s.campaignId }, 'dialer tick failed');
    } finally {
      this.ticking = false;
    }
  }

  async snapshot(now: number): Promise<PacingSnapshot> {
    const { agents } = this.deps;
    const horizon = this.stats.horizonMs;
    const wrap = this.s.wrapUpMs;
    const busy = agents.busy();
    const soonFree = busy.map((b) => {
      if (b.wrapUpUntil !== undefined) return b.wrapUpUntil - now <= horizon ? 1 : 0;
      return horizon <= wrap ? 0 : this.stats.endsWithin(now - (b.talkingSince ?? now), horizon - wrap);
    });
    const ledger = await this.deps.ledger.rate30d(this.s.campaignId, now);
    return {
      now,
      loggedIn: agents.loggedIn(),
      ready: agents.ready(),
      soonFree,
      inFlight: this.inFlight + this.live,
      talking: agents.busy().filter((b) => b.talkingSince !== undefined).length,
      liveAnswerRate: this.stats.liveAnswerRate,
      answered30d: ledger.answered,
      abandoned30d: ledger.abandoned,
      abandonRate30d: ledger.rate,
      abandonLimit: this.s.abandonLimit,
      detail: {
        ringingElapsedMs: [...this.ringing].map((r) => now - r.placedAt),
        waitingLive: this.live,
        busy: busy.map((b) => (b.wrapUpUntil !== undefined ? { wrapLeftMs: Math.max(0, b.wrapUpUntil - now) } : { talkingForMs: now - (b.talkingSince ?? now) })),
        answerDelayCdf: this.stats.answerDelayCdf(),
        talkEndsWithin: (elapsed, within) => (within <= wrap ? 0 : this.stats.endsWithin(elapsed, within - wrap)),
        safeHarborMs: this.s.safeHarborMs,
      },
    };
  }

  private async place(lead: DialLead): Promise<void> {
    const { sw, clock } = this.deps;
    this.inFlight++;
    this.counters.placed++;
    const placedAt = clock.now();
    const ring = { placedAt };
    this.ringing.add(ring);
    let result: DialResult;
    try {
      result = await sw.dial({ to: lead.phone, callerId: this.s.callerId, purpose: 'customer', ringTimeoutMs: this.s.ringTimeoutMs, detectMachine: true });
    } catch (err) {
      this.deps.log.warn({ err, leadId: lead.leadId }, 'dial failed');
      result = { outcome: 'failed', cause: 'network_failure', sipStatus: 500 };
    } finally {
      this.inFlight--;
      this.ringing.delete(ring);
    }
    const outcome = await this.handle(result, placedAt, lead);
    await this.deps.leads.outcome(lead, outcome, clock.now());
  }

  private async handle(result: DialResult, placedAt: number, lead: DialLead): Promise<DialOutcome> {
    const { sw, clock, agents } = this.deps;
    if (result.outcome !== 'answered') {
      this.stats.callOutcome(false);
      const o: DialOutcome = result.outcome === 'busy' ? 'busy' : result.outcome === 'no_answer' || result.outcome === 'cancelled' ? 'no_answer' : 'failed';
      this.counters[o === 'busy' ? 'busy' : o === 'no_answer' ? 'noAnswer' : 'failed']++;
      return o;
    }
    if (result.answeredBy === 'machine') {
      this.stats.callOutcome(false);
      this.counters.machine++;
      try {
        if (this.s.machine.action === 'message') await sw.play(result.legId, { id: this.s.machine.prompt });
        await sw.hangup(result.legId, 'normal_clearing');
      } catch (err) {
        if (!(err instanceof LegGoneError)) throw err;
      }
      return 'machine';
    }
    this.stats.callOutcome(true, result.at - placedAt);
    this.counters.live++;
    this.live++;
    try {
      const agentId = (await agents.take()) ?? (await this.waitForAgent());
      if (!agentId) {
        this.counters.abandoned++;
        await this.deps.ledger.record(this.s.campaignId, clock.now(), { answered: 1, abandoned: 1 });
        try {
          await sw.play(result.legId, { id: this.s.safeHarborPrompt });
          await sw.hangup(result.legId, 'normal_clearing');
        } catch (err) {
          if (!(err instanceof LegGoneError)) throw err;
        }
        return 'abandoned';
      }
      this.counters.connected++;
      await this.deps.ledger.record(this.s.campaignId, clock.now(), { answered: 1, abandoned: 0 });
      await agents.connect(agentId, result.legId, clock.now(), lead);
      return 'connected';
    } finally {
      this.live--;
    }
  }

  /** Safe harbor: the person may wait this long for an agent to become ready. */
  private waitForAgent(): Promise<string | undefined> {
    const { clock, agents } = this.deps;
    return new Promise((resolve) => {
      let done = false;
      const finish = (agentId: string | undefined): void => {
        if (done) return;
        done = true;
        clock.clearTimer(timer);
        unsubscribe();
        resolve(agentId);
      };
      const unsubscribe = agents.onReady(() => {
        const taken = agents.take().then(async (a) => {
          if (a && done) await agents.release?.(a);
          else if (a) finish(a);
        });
        detach(taken, this.deps.log, 'taking an agent for an answered lead failed', { campaignId: this.s.campaignId });
      });
      const timer = clock.setTimer(`dialer:${this.s.campaignId}:safe-harbor`, this.s.safeHarborMs, () => finish(undefined));
    });
  }
}
