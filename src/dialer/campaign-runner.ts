import type Redis from 'ioredis';
import type { AgentService } from '../agents/agent-service';
import type { CallCenter } from '../calls/call-center';
import type { OutboundCampaign } from '../calls/outbound-call';
import type { CustomerDirectory } from '../crm/screen-pop';
import type { Clock, TimerHandle } from '../clock/clock';
import type { Logger } from '../log';
import type { CampaignDoc, Models } from '../store/models';
import type { Switch } from '../telephony/switch';
import { RedisAbandonLedger } from './abandon-ledger';
import { AcdAgentPool } from './acd-agent-pool';
import { AgentDialling } from './agent-dialling';
import { OWNER_TTL_MS, type CampaignOwnership } from './campaign-ownership';
import { CampaignEngine } from './campaign-engine';
import { CampaignLeads } from './campaign-leads';
import type { CallWindow, RetryRules } from './campaign-rules';
import type { DoNotCall } from './dnc';
import type { DialLead, DialOutcome } from './ports';
import { progressivePacer, type Pacer } from './pacing/pacer';
import { predictivePacer } from './pacing/predictive';
import { detach } from '../util/detach';
import { UserError } from '../util/user-error';

/** A campaign command refused (not running here, no lead due, not your lead…). */
export class CampaignError extends UserError {
  constructor(message: string, code: 'campaign_refused' | 'no_lead_due' = 'campaign_refused') {
    super(code, message);
  }
}

interface Running {
  engine: CampaignEngine;
  pool: AcdAgentPool;
  leads: CampaignLeads;
  doc: CampaignDoc & { _id: string };
  campaign: OutboundCampaign;
}

/** A preview campaign: no engine; agents take leads one at a time from its queues. */
interface Previewing {
  leads: CampaignLeads;
  doc: CampaignDoc & { _id: string };
  campaign: OutboundCampaign;
}

export type { PreviewLead } from '../shared/agent-events';
import type { PreviewLead } from '../shared/agent-events';

/** How often every instance looks for running campaigns whose owner is gone. */
const TAKEOVER_EVERY_MS = 2000;

/** How long an agent may hold a preview lead before its hold is forgotten by other instances. */
const HELD_LEAD_TTL_MS = 4 * 3600_000;

/** How often due personal callbacks are looked for. */
const PERSONAL_CALLBACK_EVERY_MS = 2000;

/** How long a skipped lead waits before it comes up again. */
const SKIP_DELAY_MS = 30 * 60_000;

/**
 * Runs the campaigns of this instance: builds each one's engine from its MongoDB definition (lead
 * queues, agents, pacer, ledger), starts, pauses and stops it, keeps its status in MongoDB, and
 * reports the live view managers watch.
 */
export class CampaignRunner {
  private readonly running = new Map<string, Running>();
  private readonly previews = new Map<string, Previewing>();
  private readonly callbackTimers = new Map<string, TimerHandle>();
  private readonly ownerTimers = new Map<string, TimerHandle>();
  private takeoverTimer: TimerHandle | undefined;
  /** Leads held by agents in preview: agent → lead and the reservation's call id. */
  private readonly held = new Map<string, { campaignId: string; lead: DialLead; callId: string }>();
  private readonly ledger: RedisAbandonLedger;
  /** Calls agents place themselves from the desk (keypad, scheduled callbacks). */
  readonly dialling: AgentDialling;

  constructor(
    private readonly d: { models: Models; redis: Redis; ns: string; sw: Switch; clock: Clock; agents: AgentService; calls: CallCenter; customers: CustomerDirectory; dnc: DoNotCall; ownership: CampaignOwnership; log: Logger },
  ) {
    this.ledger = new RedisAbandonLedger(d.redis, d.ns);
    this.dialling = new AgentDialling({ ...d, runner: this, log: d.log.child({ module: 'agent-dialling' }) });
    // what this instance does when another sends it a command about a campaign it owns
    const own = d.ownership;
    own.handle('start', (id: string) => this.startHere(id));
    own.handle('pause', (id: string) => this.pauseHere(id));
    own.handle('stop', (id: string) => this.stopHere(id));
    own.handle('live', (id: string) => this.liveHere(id));
    own.handle('reload', (id: string) => this.reloadHere(id));
    own.handle('previewNext', (agentId: string, id: string) => this.previewNextHere(agentId, id));
    own.handle('previewDial', (agentId: string, leadId: string) => this.previewDialHere(agentId, leadId));
    own.handle('previewSkip', (agentId: string, leadId: string) => this.previewSkipHere(agentId, leadId));
  }

  /** Runs `method` on the campaign's owner when another instance owns it, else `here`. */
  private async onOwner<R>(campaignId: string, method: string, args: unknown[], here: () => Promise<R>): Promise<R> {
    if (this.running.has(campaignId) || this.previews.has(campaignId)) return here();
    const routed = await this.d.ownership.route<R>(campaignId, method, args);
    return routed.forwarded ? routed.value : here();
  }

  /** Start (or resume) the campaign on the instance that owns it, or here when nobody does. */
  start(campaignId: string): Promise<void> {
    return this.onOwner(campaignId, 'start', [campaignId], () => this.startHere(campaignId));
  }

  private async startHere(campaignId: string): Promise<void> {
    const doc = await this.d.models.Campaign.findById(campaignId).lean();
    if (!doc) throw new CampaignError(`no campaign ${campaignId}`);
    const current = this.running.get(campaignId);
    if (current || this.previews.has(campaignId)) {
      current?.engine.start();
      await this.setStatus(campaignId, 'running');
      return;
    }
    if (!(await this.claim(campaignId))) throw new CampaignError(`campaign ${campaignId} is running on another app instance`);
    const window: CallWindow = { days: doc.window?.days?.length ? doc.window.days : [1, 2, 3, 4, 5, 6], from: doc.window?.from ?? '09:00', to: doc.window?.to ?? '20:00', holidays: doc.window?.holidays ?? [] };
    const rules: RetryRules = { busyMs: doc.retry?.busyMs ?? 10 * 60_000, noAnswerMs: doc.retry?.noAnswerMs ?? 2 * 3600_000, failedMs: doc.retry?.failedMs ?? 30 * 60_000, machine: 'next_day', maxAttempts: doc.retry?.maxAttempts ?? 5 };
    const log = this.d.log.child({ campaignId });
    const leads = new CampaignLeads(this.d.redis, this.d.ns, this.d.models, this.d.dnc, { campaignId, listIds: doc.listIds, window, rules }, log);
    const loaded = await leads.load(this.d.clock.now());
    const campaign: OutboundCampaign = {
      storeId: doc.storeIds[0],
      campaignId,
      name: doc.name,
      callerId: doc.callerId,
      dispositionCodes: doc.dispositionCodes,
      wrapUpMs: doc.wrapUpMs,
      wrapUpExtendMaxMs: doc.wrapUpExtendMaxMs,
      safeHarborPrompt: doc.safeHarborPrompt,
      script: doc.script ?? undefined,
      followUp: (lead, at, agentId) => leads.reschedule(lead, at, agentId),
    };
    this.watchPersonalCallbacks(campaignId, leads, campaign, doc.agents);
    if (doc.mode === 'preview') {
      this.previews.set(campaignId, { leads, doc: { ...doc, _id: campaignId }, campaign });
      await this.setStatus(campaignId, 'running');
      log.info({ loaded }, 'preview campaign open to its agents');
      return;
    }
    const pool = new AcdAgentPool({
      campaignId,
      agents: this.d.agents,
      clock: this.d.clock,
      usernames: () => this.running.get(campaignId)?.doc.agents ?? doc.agents,
      wrapUpMs: doc.wrapUpMs,
      newCallId: () => this.d.calls.newOutboundCallId(),
      connect: async (agentId, legId, lead, callId) => {
        await this.d.calls.startOutbound(campaign, lead, legId, agentId, callId);
      },
    });
    const pacer: Pacer = doc.mode === 'predictive' ? predictivePacer() : progressivePacer;
    const engine = new CampaignEngine(
      {
        campaignId,
        callerId: doc.callerId,
        ringTimeoutMs: 25_000,
        safeHarborMs: 2000,
        safeHarborPrompt: doc.safeHarborPrompt,
        machine: doc.machine === 'message' && doc.machinePrompt ? { action: 'message', prompt: doc.machinePrompt } : { action: 'hangup' },
        abandonLimit: doc.abandonLimit,
        tickMs: 1000,
        wrapUpMs: doc.wrapUpMs,
      },
      {
        sw: this.d.sw,
        clock: this.d.clock,
        pacer,
        leads,
        agents: pool,
        ledger: this.ledger,
        log,
        onStop: (reason) => {
          this.running.delete(campaignId);
          detach(this.setStatus(campaignId, reason === 'exhausted' ? 'exhausted' : 'stopped'), log, 'campaign status not saved');
        },
      },
    );
    this.running.set(campaignId, { engine, pool, leads, doc: { ...doc, _id: campaignId }, campaign });
    engine.start();
    await this.setStatus(campaignId, 'running');
    log.info({ loaded, mode: doc.mode }, 'campaign started');
  }

  /**
   * One instance dials a campaign: it holds the owner key (CampaignOwnership), renewed by
   * compare-and-set while it runs; when the key is found gone or another's (this instance was cut
   * off longer than the key lives), it stops dialling the campaign here at once.
   */
  private async claim(campaignId: string): Promise<boolean> {
    if (!(await this.d.ownership.claim(campaignId))) return false;
    const renew = (): void => {
      this.ownerTimers.set(
        campaignId,
        this.d.clock.setTimer(`dialer:${campaignId}:owner`, OWNER_TTL_MS / 3, async () => {
          if (!this.running.has(campaignId) && !this.previews.has(campaignId)) {
            this.ownerTimers.delete(campaignId);
            await this.d.ownership.release(campaignId).catch((err: unknown) => this.d.log.warn({ err, campaignId }, 'campaign owner key not released'));
            return;
          }
          let kept = true;
          try {
            kept = await this.d.ownership.renew(campaignId);
          } catch (err) {
            // Redis away: keep dialling on the key's remaining life; the next renewal tells
            this.d.log.warn({ err, campaignId }, 'campaign owner renewal failed');
          }
          if (kept) return renew();
          this.ownerTimers.delete(campaignId);
          this.d.log.warn({ campaignId }, 'campaign taken over by another instance: it stops dialling here');
          this.relinquish(campaignId);
        }),
      );
    };
    renew();
    return true;
  }

  /** Stops dialling a campaign here without changing its status (another instance runs it now). */
  private relinquish(campaignId: string): void {
    const r = this.running.get(campaignId);
    this.running.delete(campaignId);
    this.previews.delete(campaignId);
    r?.engine.pause();
    this.d.clock.clearTimer(this.callbackTimers.get(campaignId));
    this.callbackTimers.delete(campaignId);
  }

  /**
   * Takeover: campaigns marked running that no instance owns (their owner died: its key expired) are
   * claimed by the first instance to look. Every instance looks every couple of seconds.
   */
  async adoptOrphans(): Promise<string[]> {
    const adopted: string[] = [];
    for (const campaignId of await this.d.ownership.orphans()) {
      if (this.running.has(campaignId) || this.previews.has(campaignId)) continue;
      try {
        await this.startHere(campaignId);
        adopted.push(campaignId);
      } catch (err) {
        if (!(err instanceof CampaignError)) throw err;
        this.d.log.info({ campaignId, reason: err.message }, 'campaign not taken over here');
      }
    }
    return adopted;
  }

  /**
   * Personal callbacks: every few seconds, a ready agent with a callback of their own that is due
   * is reserved and the call placed for them (their phone first, then the lead's).
   */
  private watchPersonalCallbacks(campaignId: string, leads: CampaignLeads, campaign: OutboundCampaign, agents: readonly string[]): void {
    const tick = async (): Promise<void> => {
      if (!this.running.has(campaignId) && !this.previews.has(campaignId)) return;
      for (const agentId of agents) {
        if ((await this.d.agents.get(agentId)).state !== 'ready' || this.held.has(agentId)) continue;
        const lead = await leads.nextPersonal(agentId, this.d.clock.now());
        if (!lead) continue;
        const callId = await this.d.calls.newOutboundCallId();
        const reserved = await this.d.agents.apply(agentId, { type: 'reserve', callId });
        if (!reserved.ok) {
          this.d.calls.dropOutboundCallId(callId);
          await leads.reschedule(lead, this.d.clock.now(), agentId);
          continue;
        }
        void this.d.calls
          .startPreview(campaign, lead, agentId, callId)
          .then((outcome) => leads.outcome(lead, outcome, this.d.clock.now()))
          .catch((err: unknown) => this.d.log.error({ err, campaignId, agentId }, 'personal callback failed'));
      }
    };
    const arm = (): void => {
      this.callbackTimers.set(
        campaignId,
        this.d.clock.setTimer(`dialer:${campaignId}:personal-callbacks`, PERSONAL_CALLBACK_EVERY_MS, async () => {
          try {
            await tick();
          } catch (err) {
            this.d.log.error({ err, campaignId }, 'personal callbacks check failed');
          }
          if (this.running.has(campaignId) || this.previews.has(campaignId)) arm();
          else this.callbackTimers.delete(campaignId);
        }),
      );
    };
    this.d.clock.clearTimer(this.callbackTimers.get(campaignId));
    arm();
  }

  /**
   * A campaign open on this instance (running, or a preview campaign open to its agents): what an
   * agent's own dialling (keypad, scheduled callbacks: see agent-dialling.ts) needs of it.
   */
  openCampaign(campaignId: string): { campaign: OutboundCampaign; leads: CampaignLeads; agents: readonly string[] } | undefined {
    const o = this.running.get(campaignId) ?? this.previews.get(campaignId);
    return o ? { campaign: o.campaign, leads: o.leads, agents: o.doc.agents } : undefined;
  }

  /** True while the agent holds a preview lead (reserved for it until they dial or skip). */
  holdsPreviewLead(agentId: string): boolean {
    return this.held.has(agentId);
  }

  /** Preview: the next due lead for this agent, who is reserved for it until they dial or skip. */
  previewNext(agentId: string, campaignId: string): Promise<PreviewLead> {
    return this.onOwner(campaignId, 'previewNext', [agentId, campaignId], () => this.previewNextHere(agentId, campaignId));
  }

  private async previewNextHere(agentId: string, campaignId: string): Promise<PreviewLead> {
    const p = this.previews.get(campaignId);
    if (!p) throw new CampaignError(`campaign ${campaignId} is not an open preview campaign`);
    if (!p.doc.agents.includes(agentId)) throw new CampaignError(`you are not an agent of campaign ${campaignId}`);
    if (this.held.has(agentId)) throw new CampaignError('dial or skip the lead you hold first');
    const callId = await this.d.calls.newOutboundCallId();
    const reserved = await this.d.agents.apply(agentId, { type: 'reserve', callId });
    if (!reserved.ok) {
      this.d.calls.dropOutboundCallId(callId);
      throw new CampaignError(`you must be ready to take a lead (${reserved.error})`);
    }
    const lead = await p.leads.next(this.d.clock.now());
    if (!lead) {
      await this.d.agents.apply(agentId, { type: 'call_gone' });
      this.d.calls.dropOutboundCallId(callId);
      throw new CampaignError('no lead is due now in this campaign', 'no_lead_due');
    }
    this.held.set(agentId, { campaignId, lead, callId });
    await this.d.ownership.holdLead(agentId, HELD_LEAD_TTL_MS);
    const doc = await this.d.models.Lead.findById(lead.leadId).lean();
    const customer = await this.d.customers.findByPhone(lead.phone);
    return {
      campaignId,
      leadId: lead.leadId,
      phone: lead.phone,
      name: doc?.name ?? undefined,
      grade: doc?.grade ?? undefined,
      defeatReason: doc?.defeatReason ?? undefined,
      customer: customer ? await this.d.customers.card(customer.id) : null,
      script: p.campaign.script,
    };
  }

  /** Preview: the agent dials the lead they hold; the outcome schedules the lead's next attempt. */
  async previewDial(agentId: string, leadId: string): Promise<DialOutcome> {
    if (!this.held.has(agentId)) {
      const routed = await this.d.ownership.routeHeld<DialOutcome>(agentId, 'previewDial', [agentId, leadId]);
      if (routed.forwarded) return routed.value;
    }
    return this.previewDialHere(agentId, leadId);
  }

  private async previewDialHere(agentId: string, leadId: string): Promise<DialOutcome> {
    const h = this.held.get(agentId);
    const p = h ? this.previews.get(h.campaignId) : undefined;
    if (!h || !p || h.lead.leadId !== leadId) throw new CampaignError(`you do not hold lead ${leadId}`);
    this.held.delete(agentId);
    await this.d.ownership.dropLead(agentId);
    const outcome = await this.d.calls.startPreview(p.campaign, h.lead, agentId, h.callId);
    await p.leads.outcome(h.lead, outcome, this.d.clock.now());
    return outcome;
  }

  /** Preview: the agent passes on the lead; it comes up again later, the attempt is not counted. */
  async previewSkip(agentId: string, leadId: string): Promise<void> {
    if (!this.held.has(agentId)) {
      const routed = await this.d.ownership.routeHeld<undefined>(agentId, 'previewSkip', [agentId, leadId]);
      if (routed.forwarded) return;
    }
    return this.previewSkipHere(agentId, leadId);
  }

  private async previewSkipHere(agentId: string, leadId: string): Promise<void> {
    const h = this.held.get(agentId);
    const p = h ? this.previews.get(h.campaignId) : undefined;
    if (!h || !p || h.lead.leadId !== leadId) throw new CampaignError(`you do not hold lead ${leadId}`);
    this.held.delete(agentId);
    await this.d.ownership.dropLead(agentId);
    await p.leads.requeue(h.lead, this.d.clock.now() + SKIP_DELAY_MS);
    await this.d.agents.apply(agentId, { type: 'call_gone' });
    this.d.calls.dropOutboundCallId(h.callId);
  }

  /**
   * Recycling: leads of the campaign's lists that ended (max attempts, no window) with one of these
   * last outcomes, and not tried for `olderThanMs`, start over (attempts 0, due now). DNC leads never.
   */
  async recycle(campaignId: string, outcomes: DialOutcome[], olderThanMs: number): Promise<number> {
    const doc = await this.d.models.Campaign.findById(campaignId, { listIds: 1 }).lean();
    if (!doc) throw new CampaignError(`no campaign ${campaignId}`);
    const now = this.d.clock.now();
    const stale = await this.d.models.Lead.find({ listId: { $in: doc.listIds }, status: 'done', lastOutcome: { $in: outcomes }, lastAttemptAt: { $lte: new Date(now - olderThanMs) } }, { _id: 1 }).lean();
    for (const l of stale) await this.d.models.Lead.updateOne({ _id: l._id, status: 'done' }, { $set: { status: 'in_progress', attempts: 0, nextDialAt: new Date(now) } });
    await this.reload(campaignId);
    return stale.length;
  }

  /** Puts a running campaign's open leads in its queues again (after recycling), on its owner. */
  private reload(campaignId: string): Promise<void> {
    return this.onOwner(campaignId, 'reload', [campaignId], () => this.reloadHere(campaignId));
  }

  private async reloadHere(campaignId: string): Promise<void> {
    const p = this.previews.get(campaignId);
    if (p) {
      await p.leads.load(this.d.clock.now());
      return;
    }
    await this.running.get(campaignId)?.leads.load(this.d.clock.now());
  }

  pause(campaignId: string): Promise<void> {
    return this.onOwner(campaignId, 'pause', [campaignId], () => this.pauseHere(campaignId));
  }

  private async pauseHere(campaignId: string): Promise<void> {
    const r = this.running.get(campaignId);
    if (!r && !this.previews.delete(campaignId)) throw new CampaignError(`campaign ${campaignId} is not running here`);
    r?.engine.pause();
    await this.setStatus(campaignId, 'paused');
  }

  stop(campaignId: string): Promise<void> {
    return this.onOwner(campaignId, 'stop', [campaignId], () => this.stopHere(campaignId));
  }

  private async stopHere(campaignId: string): Promise<void> {
    const r = this.running.get(campaignId);
    this.previews.delete(campaignId);
    if (r) r.engine.stop('stopped');
    else await this.setStatus(campaignId, 'stopped');
  }

  /**
   * Campaigns marked running in MongoDB (e.g. before a restart) that no instance runs start here:
   * their ids go into the running set, then the orphans among them are taken over.
   */
  async resume(): Promise<string[]> {
    const docs = await this.d.models.Campaign.find({ status: 'running' }, { _id: 1 }).lean();
    for (const d of docs) await this.d.ownership.markRunning(d._id, true);
    const adopted = await this.adoptOrphans();
    this.watchOrphans();
    return adopted;
  }

  /** Looks for orphaned campaigns every TAKEOVER_EVERY_MS until stopAll. */
  private watchOrphans(): void {
    this.d.clock.clearTimer(this.takeoverTimer);
    this.takeoverTimer = this.d.clock.setTimer('dialer:takeover', TAKEOVER_EVERY_MS, async () => {
      try {
        const adopted = await this.adoptOrphans();
        if (adopted.length > 0) this.d.log.info({ campaigns: adopted }, 'campaigns of a lost instance taken over here');
      } catch (err) {
        this.d.log.warn({ err }, 'looking for campaigns without an owner failed');
      }
      if (this.takeoverTimer !== undefined) this.watchOrphans();
    });
  }

  /**
   * Shutdown: engines pause (their status stays 'running' so the next start resumes them) and the
   * owner keys this instance holds are released at once, so a restarted or surviving instance can
   * take the campaigns over without waiting for the keys to expire.
   */
  async stopAll(): Promise<void> {
    this.d.clock.clearTimer(this.takeoverTimer);
    this.takeoverTimer = undefined;
    for (const r of this.running.values()) r.engine.pause();
    for (const t of [...this.callbackTimers.values(), ...this.ownerTimers.values()]) this.d.clock.clearTimer(t);
    this.callbackTimers.clear();
    this.ownerTimers.clear();
    const owned = new Set([...this.running.keys(), ...this.previews.keys()]);
    for (const campaignId of owned) {
      await this.d.ownership
        .release(campaignId)
        .catch((err: unknown) => this.d.log.warn({ err, campaignId }, 'campaign owner key not released'));
    }
  }

  /** The 30-day abandon rate of each campaign this instance runs (the legal limit is watched on it). */
  async abandonRates(): Promise<Map<string, number>> {
    const now = this.d.clock.now();
    const out = new Map<string, number>();
    for (const id of [...this.running.keys(), ...this.previews.keys()]) out.set(id, (await this.ledger.rate30d(id, now)).rate);
    return out;
  }

  /** What a manager's board shows. */
  live(campaignId: string): Promise<Record<string, unknown>> {
    return this.onOwner(campaignId, 'live', [campaignId], () => this.liveHere(campaignId));
  }

  private async liveHere(campaignId: string): Promise<Record<string, unknown>> {
    const doc = await this.d.models.Campaign.findById(campaignId).lean();
    if (!doc) throw new CampaignError(`no campaign ${campaignId}`);
    const now = this.d.clock.now();
    const r = this.running.get(campaignId);
    const agents: Record<string, number> = {};
    for (const u of doc.agents) {
      const s = await this.d.agents.get(u);
      agents[s.state] = (agents[s.state] ?? 0) + 1;
    }
    const c = r?.engine.counters;
    const thirty = await this.ledger.rate30d(campaignId, now);
    const today = await this.ledger.day(campaignId, now);
    const loggedIn = doc.agents.length - (agents.logged_out ?? 0);
    return {
      campaignId,
      status: doc.status,
      mode: doc.mode,
      callsInProgress: r?.engine.callsInProgress ?? 0,
      dialLevel: loggedIn > 0 && r ? Number(((r.engine.callsInProgress + (agents.talking ?? 0)) / loggedIn).toFixed(2)) : 0,
      placed: c?.placed ?? 0,
      answerRate: c && c.placed > 0 ? c.live / c.placed : 0,
      abandonRateToday: today.rate,
      abandonRate30d: thirty.rate,
      agentsByState: agents,
    };
  }

  private async setStatus(campaignId: string, status: 'running' | 'paused' | 'stopped' | 'exhausted'): Promise<void> {
    await this.d.models.Campaign.updateOne({ _id: campaignId }, { $set: { status } });
    await this.d.ownership.markRunning(campaignId, status === 'running');
  }
}
