import type { Connection } from 'mongoose';
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
}

export const DEFAULT_ASSIST: AssistSettings = { queueId: 'assist-7x24', escalateAfterMs: 30_000, callerId: '4008009999', vinHeader: 'x-vehicle-vin' };

/** The in-car assistant (#15) wired: its records, device registry, store positions, the call door and REST routes. */
export class Assist {
  private sites: Site[] = [];
  private alert: (a: EscalationAlert) => Promise<void> = () => Promise.resolve();
  readonly service: InCarService;
  readonly registry: DeviceRegistry;

  private constructor(
    readonly models: AssistModels,
    private readonly o: { settings: AssistSettings; storeName: (id: string) => string; storeExists: (id: string) => boolean; clock: Clock; log: Logger; sw: Switch; realm: string; secret: string },
  ) {
    this.registry = new DeviceRegistry(models, { realm: o.realm, secret: o.secret, now: () => o.clock.now() });
    this.service = new InCarService({
      models,
      registry: this.registry,
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
    this.sites = docs.map((s) => ({ storeId: s._id, name: s.name, city: s.city, phone: s.phone, position: { lat: s.position.lat, lon: s.position.lon } }));
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
      });
  }

  private async pressOverHttp(calls: CallCenter, device: DeviceDoc, fields: z.output<typeof PressBody>): Promise<string> {
    const press = pressFromFields(device._id, fields);
    const hooks = await this.service.open(device, press, 'callback');
    const number = device.callbackUri || `vehicle:${device._id}`;
    const offered = { legId: '', from: number, to: this.o.settings.callerId, source: 'vehicle' as const, headers: { [this.o.settings.vinHeader]: device._id }, receivedAt: this.o.clock.now() };
    return calls.placeInCarCallback(offered, hooks, number, this.o.settings.queueId);
  }
}
