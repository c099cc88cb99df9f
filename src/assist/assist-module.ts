import type { Connection } from 'mongoose';
import type Redis from 'ioredis';
import { Timeline } from './timeline';
import type { RouteRegistry } from '../api/route-registry';
import type { CallCenter, InCarDoor } from '../calls/call-center';
import type { Clock } from '../clock/clock';
import type { Logger } from '../log';
import type { Switch } from '../telephony/switch';
import { bindAssistModels, type AssistModels, type DeviceDoc } from './assist-models';
import { assistRoutes, type PressBody } from './assist-routes';
import { DeviceRegistry } from './devices';
import { InCarService, type EscalationAlert } from './in-car';
import type { Site } from './nearest-stores';
import { pressFromFields } from './press';
import { randomUUID } from 'node:crypto';
import { askOwner, OWNER_ANSWER_TEXT } from './theft-alarm';
import { DestinationPush, HttpTelematics, LogOnlyTelematics, type PushState } from './destination-push';
import { detach } from '../util/detach';
import type { z } from 'zod';

export interface AssistSettings {
  /** The 7×24 assistant queue in-car calls wait in (its overflow is the queue's own setting). */
  queueId: string;
  /** An automatic crash nobody answered within this long is escalated. */
  escalateAfterMs: number;
  /** The number the emergency contact (and the called-back car) sees calling. */
  callerId: string;
  /** The header naming the vehicle on a terminal's call (lower case). */
  vinHeader: string;
  /** The telematics provider's webhook for destination pushes; undefined: log-only. */
  provider?: { url: string; token?: string | undefined } | undefined;
  /** Destination pushes are retried with this backoff for at least pushSurviveMs. */
  pushBackoff: { baseMs: number; maxMs: number };
  pushSurviveMs: number;
  /** The token the telematics provider sends with theft alarms (POST /api/assist/theft); undefined: the route is off. */
  providerInboundToken?: string | undefined;
}

export const DEFAULT_ASSIST: AssistSettings = { queueId: 'assist-7x24', escalateAfterMs: 30_000, callerId: '4008009999', vinHeader: 'x-vehicle-vin', pushBackoff: { baseMs: 2_000, maxMs: 60_000 }, pushSurviveMs: 3600_000 };

/** The in-car assistant (#15) wired: its records, device registry, store positions, the call door and REST routes. */
export class Assist {
  private sites: Site[] = [];
  private alert: (a: EscalationAlert) => Promise<void> = () => Promise.resolve();
  private tell: (username: string, state: PushState) => void = () => undefined;
  readonly pushes: DestinationPush;
  private readonly timelineOf: Timeline;
  readonly service: InCarService;
  readonly registry: DeviceRegistry;

  private constructor(
    readonly models: AssistModels,
    private readonly o: { settings: AssistSettings; storeName: (id: string) => string; storeExists: (id: string) => boolean; clock: Clock; log: Logger; sw: Switch; realm: string; secret: string; redisUrl: string; redisPrefix: string; redis: Redis; redisNamespace: string },
  ) {
    const provider = o.settings.provider;
    this.pushes = new DestinationPush({
      redisUrl: o.redisUrl,
      prefix: o.redisPrefix,
      provider: provider ? new HttpTelematics({ url: provider.url, token: provider.token, timeoutMs: 5_000 }) : new LogOnlyTelematics(o.log),
      backoff: o.settings.pushBackoff,
      surviveMs: o.settings.pushSurviveMs,
      onState: (job, state) => {
        this.tell(job.by, state);
        if (state.state !== 'retrying' || state.attempts === 1) this.timeline(job.vin, job.callId, 'destination', `${job.label}: ${state.state}${state.error ? ` (${state.error})` : ''}`);
      },
      log: o.log,
    });
    this.timelineOf = new Timeline(models, o.redis, o.redisNamespace, o.log);
    this.registry = new DeviceRegistry(models, { realm: o.realm, secret: o.secret, now: () => o.clock.now() });
    this.service = new InCarService({
      models,
      registry: this.registry,
      timeline: this.timelineOf,
      sites: () => this.sites,
      storeName: o.storeName,
      sw: o.sw,
      clock: o.clock,
      escalateAfterMs: o.settings.escalateAfterMs,
      callerId: o.settings.callerId,
      alertSupervisors: (a) => this.alert(a),
      log: o.log,
    });
  }

  static async create(mongo: Connection, o: Assist['o']): Promise<Assist> {
    const models = bindAssistModels(mongo);
    for (const m of Object.values(models) as { createIndexes(): Promise<unknown> }[]) await m.createIndexes();
    const assist = new Assist(models, o);
    await assist.loadSites();
    return assist;
  }

  get settings(): AssistSettings {
    return this.o.settings;
  }

  /** Re-reads the store positions (after a change). */
  async loadSites(): Promise<void> {
    const docs = await this.models.Site.find({}).lean();
    this.sites = docs.map((s) => ({ storeId: s._id, name: s.name, city: s.city, phone: s.phone, policeNumber: s.policeNumber, position: { lat: s.position.lat, lon: s.position.lon } }));
  }

  /** Job workers (destination pushes) run while the app takes calls. */
  start(): void {
    this.pushes.start();
  }

  async stop(): Promise<void> {
    await this.pushes.stop();
  }

  /** Where the outcome of a destination push is told (the pushing agent's desk). */
  onPushState(tell: (username: string, state: PushState) => void): void {
    this.tell = tell;
  }

  private timeline(vin: string, callId: string | null, kind: string, note: string): void {
    const models = this.models;
    const log = this.o.log;
    const at = this.o.clock.now();
    detach(
      (async () => {
        const d = await models.Device.findById(vin, { memberId: 1 }).lean();
        if (d) this.timelineOf.note({ vin, memberId: d.memberId, at, kind, note, ...(callId ? { callId } : {}) });
      })(),
      log,
      'timeline entry failed',
      { vin },
    );
  }

  /** Where escalations are told (the supervisors' live board; set once the board exists). */
  onEscalation(alert: (a: EscalationAlert) => Promise<void>): void {
    this.alert = alert;
  }

  door(): InCarDoor {
    return { queueId: () => this.o.settings.queueId, admit: (offer) => this.service.admit(offer, this.o.settings.vinHeader) };
  }

  routes(calls: CallCenter): (registry: RouteRegistry) => void {
    return (registry) =>
      assistRoutes(registry, {
        models: this.models,
        registry: this.registry,
        storeExists: this.o.storeExists,
        press: (device, fields) => this.pressOverHttp(calls, device, fields),
        pushDestination: (d) => this.pushes.push(d),
        providerToken: this.o.settings.providerInboundToken,
        theft: (device, fields) => this.theftAlarm(calls, device, fields),
      });
  }

  /**
   * A theft alarm from the telematics provider: the owner is called ("press 1 if you are with the
   * car"); the answer is logged; anything else gives an assistant a priority task (an in-car call
   * that rings the owner back once the assistant takes it) with the car's track and the police number.
   */
  private async theftAlarm(calls: CallCenter, device: DeviceDoc, fields: { lat?: number | undefined; lon?: number | undefined; note?: string | undefined }): Promise<string> {
    const alarmId = randomUUID();
    const log = this.o.log.child({ alarmId, vin: device._id });
    const press = pressFromFields(device._id, { event: 'theft', activation: 'automatic', lat: fields.lat, lon: fields.lon });
    if (press.position) await this.models.Device.updateOne({ _id: device._id }, { $set: { lastPosition: press.position } });
    this.timelineOf.note({ vin: device._id, memberId: device.memberId, at: this.o.clock.now(), kind: 'theft_alarm', note: fields.note ?? 'theft alarm from the telematics provider', position: press.position });
    const member = await this.models.Member.findById(device.memberId).lean();
    const run = async (): Promise<void> => {
      const answer = await askOwner({ sw: this.o.sw, callerId: this.o.settings.callerId, log }, member, alarmId);
      this.timelineOf.note({ vin: device._id, memberId: device.memberId, at: this.o.clock.now(), kind: 'theft_owner', note: OWNER_ANSWER_TEXT[answer] });
      log.info({ answer }, 'theft alarm: the owner was asked');
      if (answer === 'with_car') return;
      press.faults.push(`theft alarm: ${OWNER_ANSWER_TEXT[answer]}`);
      const hooks = await this.service.open(device, press, 'callback');
      const number = member?.phones[0] ?? (device.callbackUri || `vehicle:${device._id}`);
      const offered = { legId: '', from: number, to: this.o.settings.callerId, source: 'vehicle' as const, headers: { [this.o.settings.vinHeader]: device._id }, receivedAt: this.o.clock.now() };
      const callId = await calls.placeInCarCallback(offered, hooks, number, this.o.settings.queueId);
      log.warn({ callId, answer }, 'theft alarm: priority task for an assistant');
    };
    detach(run(), log, 'theft alarm failed', { alarmId });
    return alarmId;
  }

  private async pressOverHttp(calls: CallCenter, device: DeviceDoc, fields: z.output<typeof PressBody>): Promise<string> {
    const press = pressFromFields(device._id, fields);
    const hooks = await this.service.open(device, press, 'callback');
    const number = device.callbackUri || `vehicle:${device._id}`;
    const offered = { legId: '', from: number, to: this.o.settings.callerId, source: 'vehicle' as const, headers: { [this.o.settings.vinHeader]: device._id }, receivedAt: this.o.clock.now() };
    return calls.placeInCarCallback(offered, hooks, number, this.o.settings.queueId);
  }
}
