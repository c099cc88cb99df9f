import type { InCarHooks } from '../calls/in-car-hooks';
import type { Clock, TimerHandle } from '../clock/clock';
import type { Logger } from '../log';
import type { InCarPop } from '../shared/assist';
import type { BodyPart, CallOffered, Switch } from '../telephony/switch';
import { detach } from '../util/detach';
import type { AssistModels, DeviceDoc } from './assist-models';
import type { DeviceRegistry } from './devices';
import { driverPop } from './driver-pop';
import { nearestStores, type Site } from './nearest-stores';
import { pressFromCall, pressUpdated, priorityOf, type Press } from './press';

export interface EscalationAlert {
  callId: string;
  vin: string;
  storeId: string;
  memberName: string;
  waitedMs: number;
  position: InCarPop['position'];
  emergencyContact: string | null;
}

export interface InCarDeps {
  models: AssistModels;
  registry: DeviceRegistry;
  /** Store positions (kept in memory; 2,000 stores are searched in well under a millisecond). */
  sites: () => readonly Site[];
  storeName: (storeId: string) => string;
  sw: Switch;
  clock: Clock;
  /** An automatic crash nobody answered within this long is escalated. */
  escalateAfterMs: number;
  /** The number the emergency contact sees calling. */
  callerId: string;
  /** Tells the store's supervisors (their live board). */
  alertSupervisors: (alert: EscalationAlert) => Promise<void>;
  log: Logger;
}

/**
 * The in-car door: admits a terminal's call (or HTTP press) and gives the inbound call what it needs
 * (priority, screen-pop, escalation). Every press and what followed lands on the member's timeline.
 */
export class InCarService {
  constructor(private readonly d: InCarDeps) {}

  /** A call from a terminal: refused (403) for an unknown or disabled device or wrong digest; else its hooks. */
  async admit(offer: CallOffered, vinHeader: string): Promise<{ refuse: 401 | 403; reason: string } | { hooks: InCarHooks }> {
    const vin = offer.headers[vinHeader];
    const a = await this.d.registry.admitCall(vin, offer.headers.authorization);
    if (!a.ok) return { refuse: a.status, reason: a.error };
    const press = pressFromCall(a.device._id, offer.headers, offer.bodyParts);
    return { hooks: await this.open(a.device, press, 'sip') };
  }

  /** Hooks for a press (either way in): the pop is built now, before the call queues. */
  async open(device: DeviceDoc, press: Press, way: InCarPop['way']): Promise<InCarHooks> {
    const [member, events] = await Promise.all([
      this.d.models.Member.findById(device.memberId).lean(),
      this.d.models.Event.find({ vin: device._id }).sort({ at: -1 }).limit(10).lean(),
    ]);
    const at = press.position ?? (device.lastPosition ? { lat: device.lastPosition.lat, lon: device.lastPosition.lon } : null);
    const pop = driverPop({ press, way, device, member, storeName: this.d.storeName(device.storeId), nearest: at ? nearestStores(this.d.sites(), at, 5) : [], events, now: this.d.clock.now() });
    return new InCarCall(this.d, device, press, pop);
  }

  /** Writes an entry on the member's timeline (off the call's path; failures logged). */
  static note(models: AssistModels, log: Logger, e: { vin: string; memberId: string; at: number; kind: string; note: string; callId?: string; position?: { lat: number; lon: number } | null }): void {
    const doc = { vin: e.vin, memberId: e.memberId, at: new Date(e.at), kind: e.kind, note: e.note, callId: e.callId ?? null, ...(e.position ? { position: e.position } : {}) };
    detach(models.Event.create(doc), log, 'member timeline entry not written', { callId: e.callId, vin: e.vin });
  }
}

/** One in-car call's part: its pop, and the crash escalation timer (owned by the call, cleared when answered or ended). */
class InCarCall implements InCarHooks {
  readonly vin: string;
  readonly priority: number;
  private timer: TimerHandle | undefined;
  private answered = false;
  private over = false;
  private queuedAt = 0;

  constructor(
    private readonly d: InCarDeps,
    private readonly device: DeviceDoc,
    private press: Press,
    private current: InCarPop,
  ) {
    this.vin = device._id;
    this.priority = priorityOf(press);
  }

  pop(): InCarPop {
    return this.current;
  }

  queued(callId: string, queueId: string): void {
    const log = this.d.log.child({ callId, vin: this.vin });
    this.queuedAt = this.d.clock.now();
    this.note(callId, 'press', `${this.press.eventType} (${this.press.activation}, ${this.current.way === 'sip' ? 'call' : 'HTTP, called back'}) → ${queueId}${this.press.faults.length > 0 ? `; faults: ${this.press.faults.join('; ')}` : ''}`);
    if (this.press.position) detach(this.d.models.Device.updateOne({ _id: this.vin }, { $set: { lastPosition: this.press.position } }).exec(), log, 'last position not saved');
    log.info({ eventType: this.press.eventType, activation: this.press.activation, priority: this.priority, faults: this.press.faults }, 'in-car press queued');
    if (this.press.eventType === 'crash' && this.press.activation === 'automatic' && !this.timer) {
      this.timer = this.d.clock.setTimer(`assist:${callId}:escalate`, this.d.escalateAfterMs, () => this.escalate(callId));
    }
  }

  connected(callId: string, agentId: string): void {
    this.answered = true;
    this.d.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.note(callId, 'answered', `assistant ${agentId} after ${Math.round((this.d.clock.now() - this.queuedAt) / 1000)} s`);
  }

  ended(callId: string): void {
    this.d.clock.clearTimer(this.timer);
    this.timer = undefined;
    if (!this.over && !this.answered) this.note(callId, 'unanswered', 'the call ended before an assistant answered');
    this.over = true;
  }

  info(callId: string, parts: BodyPart[], headers: Record<string, string>): InCarPop {
    this.press = pressUpdated(this.press, parts, headers['call-info']);
    const position = this.press.position;
    this.current = { ...this.current, position, headingDeg: this.press.headingDeg, passengers: this.press.passengers, msd: this.press.msd, faults: this.press.faults };
    this.note(callId, 'msd_update', position ? `position ${position.lat.toFixed(5)}, ${position.lon.toFixed(5)}` : 'update without a usable position');
    return this.current;
  }

  /** Nobody answered the automatic crash in time: supervisors alerted, the emergency contact called, all logged. */
  private async escalate(callId: string): Promise<void> {
    this.timer = undefined;
    if (this.answered || this.over) return;
    const log = this.d.log.child({ callId, vin: this.vin });
    const waitedMs = this.d.clock.now() - this.queuedAt;
    this.current = { ...this.current, escalated: true };
    const contact = this.current.member?.emergencyContact ?? null;
    log.warn({ waitedMs, contact: contact?.phone }, 'automatic crash unanswered: escalated');
    this.note(callId, 'escalated', `unanswered for ${Math.round(waitedMs / 1000)} s: supervisors alerted${contact ? `, emergency contact ${contact.name} called` : ', no emergency contact on file'}`);
    await this.d.alertSupervisors({ callId, vin: this.vin, storeId: this.device.storeId, memberName: this.current.member?.name ?? '', waitedMs, position: this.current.position, emergencyContact: contact?.phone ?? null });
    if (contact) detach(this.callContact(callId, contact.phone), log, 'emergency contact call failed');
  }

  private async callContact(callId: string, phone: string): Promise<void> {
    const r = await this.d.sw.dial({ to: phone, callerId: this.d.callerId, purpose: 'customer', ringTimeoutMs: 30_000, headers: { 'x-call-id': callId } });
    if (r.outcome !== 'answered') {
      this.note(callId, 'emergency_contact', `${phone}: ${r.outcome}`);
      return;
    }
    try {
      const heard = await this.d.sw.play(r.legId, { id: 'assist_crash_notice' });
      this.note(callId, 'emergency_contact', `${phone}: answered, notice ${heard.outcome === 'completed' ? 'played' : 'cut short'}`);
    } finally {
      await this.d.sw.hangup(r.legId, 'normal_clearing').catch(() => undefined);
    }
  }

  private note(callId: string, kind: string, note: string): void {
    InCarService.note(this.d.models, this.d.log, { vin: this.vin, memberId: this.device.memberId, at: this.d.clock.now(), kind, note, callId, position: this.press.position });
  }
}
