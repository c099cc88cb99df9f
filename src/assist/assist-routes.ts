import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { HttpError } from '../api/http-kit';
import { created, ok, type RouteRegistry } from '../api/route-registry';
import { canSeeStore, type Scope } from '../api/scope';
import { IsoDate, StoreId } from '../api/schemas';
import { ASSIST_EVENT_TYPES } from '../shared/assist';
import type { AssistModels, DeviceDoc } from './assist-models';
import { VIN_PATTERN, type DeviceRegistry } from './devices';
import { pressFromFields } from './press';
import { CallActionError } from '../calls/call-errors';
import type { DestinationJob } from './destination-push';

export interface AssistRouteDeps {
  models: AssistModels;
  registry: DeviceRegistry;
  storeExists: (storeId: string) => boolean;
  /** A press posted by a terminal: queued for an assistant; the car is called back. Resolves with the call id. */
  press: (device: DeviceDoc, fields: z.output<typeof PressBody>) => Promise<string>;
  pushDestination: (d: Omit<DestinationJob, 'pushId'>) => Promise<string>;
  /** The token the telematics provider sends with theft alarms; undefined: the route answers 503. */
  providerToken: string | undefined;
  theft: (device: DeviceDoc, fields: { lat?: number | undefined; lon?: number | undefined; note?: string | undefined }) => Promise<string>;
}

const Vin = z.string().regex(VIN_PATTERN, 'a VIN is 17 characters: digits and capitals without I, O, Q');
const MemberId = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'member ids are 1-40 letters, digits, _ or -');
const Phone = z.string().regex(/^\+?[0-9]{3,20}$/, 'a phone number: digits, optionally a leading +');

const DeviceView = z
  .object({
    vin: z.string(),
    memberId: z.string(),
    storeId: z.string(),
    model: z.string(),
    plate: z.string(),
    color: z.string(),
    enabled: z.boolean(),
    credentialsVersion: z.number().int(),
    callbackUri: z.string(),
    createdAt: IsoDate.optional(),
    updatedAt: IsoDate.optional(),
  })
  .meta({ id: 'VehicleDevice' });
const Credentials = z
  .object({
    sipUser: z.string().meta({ description: 'the digest user name (the VIN)' }),
    sipSecret: z.string().meta({ description: 'the SIP digest password; shown only now' }),
    httpToken: z.string().meta({ description: 'Authorization: Bearer <httpToken> for POST /api/assist/events; shown only now' }),
    version: z.number().int(),
  })
  .meta({ id: 'VehicleCredentials' });

const newDevice = z.strictObject({
  vin: Vin,
  memberId: MemberId,
  storeId: StoreId,
  model: z.string().max(60).default(''),
  plate: z.string().max(20).default(''),
  color: z.string().max(20).default(''),
  callbackUri: z.string().max(200).regex(/^(sip:|vehicle:)/, 'a sip: URI (or vehicle:<VIN> on the simulated switch)').optional(),
});
const devicePatch = z.strictObject({ enabled: z.boolean() });

const Point = z.object({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) });
const MemberBody = z.strictObject({
  memberId: MemberId,
  name: z.string().min(1).max(80),
  phones: z.array(Phone).max(5).default([]),
  level: z.string().min(1).max(20).default('普卡'),
  points: z.number().int().min(0).max(100_000_000).default(0),
  storeId: StoreId,
  consultant: z.string().max(64).nullable().default(null),
  emergencyContact: z.strictObject({ name: z.string().min(1).max(40), phone: Phone }).nullable().default(null),
  savedNumbers: z.array(z.strictObject({ label: z.string().min(1).max(40), number: Phone })).max(50).default([]),
  savedAddresses: z.array(z.strictObject({ label: z.string().min(1).max(40), address: z.string().min(1).max(200), position: Point.optional() })).max(50).default([]),
  reminders: z.array(z.strictObject({ text: z.string().min(1).max(200), due: z.iso.datetime({ offset: true }) })).max(50).default([]),
});
const MemberView = z.looseObject({ memberId: z.string(), name: z.string(), level: z.string(), points: z.number(), storeId: z.string() }).meta({ id: 'AssistMember' });

export const PressBody = z.strictObject({
  event: z.enum(ASSIST_EVENT_TYPES).meta({ description: 'crash (highest priority) > theft > roadside > concierge' }),
  activation: z.enum(['manual', 'automatic']).default('manual'),
  lat: z.number().optional().meta({ description: 'WGS-84 degrees; an unusable position is shown to the assistant as a fault, the press still goes through' }),
  lon: z.number().optional(),
  heading: z.number().optional(),
  speed: z.number().optional().meta({ description: 'km/h' }),
  passengers: z.number().int().optional(),
});

const ADMINS = ['admin', 'manager'] as const;
const STAFF = ['admin', 'manager', 'supervisor'] as const;

function view(d: DeviceDoc): z.output<typeof DeviceView> {
  const t = d as DeviceDoc & { createdAt?: Date; updatedAt?: Date };
  return {
    vin: d._id,
    memberId: d.memberId,
    storeId: d.storeId,
    model: d.model,
    plate: d.plate,
    color: d.color,
    enabled: d.enabled,
    credentialsVersion: d.credentialsVersion,
    callbackUri: d.callbackUri,
    ...(t.createdAt ? { createdAt: t.createdAt.toISOString() } : {}),
    ...(t.updatedAt ? { updatedAt: t.updatedAt.toISOString() } : {}),
  };
}

/** Vehicle terminals and members (managers of the selling store, admins), and the terminals' own press door. */
export function assistRoutes(registry: RouteRegistry, d: AssistRouteDeps): void {
  const deviceIn = async (scope: Scope, vin: string): Promise<DeviceDoc> => {
    const device = await d.models.Device.findById(vin).lean();
    if (!device || !canSeeStore(scope, device.storeId)) throw new HttpError(404, `no vehicle ${vin} in your stores`);
    return device;
  };

  registry.add({
    method: 'post',
    path: '/api/assist/members',
    tag: 'assist',
    summary: 'Create or replace a member (the car owner: level, points, emergency contact, saved numbers and addresses, reminders)',
    access: ADMINS,
    body: MemberBody,
    responses: { 200: { description: 'saved', schema: MemberView }, 422: { description: 'the store does not exist or is not yours' } },
    handler: async ({ scope, body }) => {
      if (!d.storeExists(body.storeId) || !canSeeStore(scope, body.storeId)) throw new HttpError(422, `store ${body.storeId} is not one of yours`);
      const { memberId, reminders, ...rest } = body;
      await d.models.Member.replaceOne({ _id: memberId }, { ...rest, reminders: reminders.map((r) => ({ text: r.text, due: new Date(r.due) })) }, { upsert: true });
      return ok({ memberId, name: body.name, level: body.level, points: body.points, storeId: body.storeId });
    },
  });

  registry.add({
    method: 'get',
    path: '/api/assist/devices',
    tag: 'assist',
    summary: "The vehicle terminals of the caller's stores",
    access: STAFF,
    responses: { 200: { description: 'devices', schema: z.object({ devices: z.array(DeviceView) }) } },
    handler: async ({ scope }) => {
      const devices = await d.models.Device.find(scope.admin ? {} : { storeId: { $in: scope.storeIds } }).sort({ _id: 1 }).limit(5000).lean();
      return ok({ devices: devices.map(view) });
    },
  });

  registry.add({
    method: 'post',
    path: '/api/assist/devices',
    tag: 'assist',
    summary: 'Register a vehicle terminal for a member; answers its credentials (SIP digest secret, HTTP token) once',
    access: ADMINS,
    body: newDevice,
    responses: {
      201: { description: 'registered', schema: z.object({ device: DeviceView, credentials: Credentials }) },
      409: { description: 'the VIN is registered already' },
      422: { description: 'unknown member, or a store that is not yours' },
    },
    handler: async ({ scope, body }) => {
      if (!d.storeExists(body.storeId) || !canSeeStore(scope, body.storeId)) throw new HttpError(422, `store ${body.storeId} is not one of yours`);
      if (!(await d.models.Member.exists({ _id: body.memberId }))) throw new HttpError(422, `no member ${body.memberId}: create the member first (POST /api/assist/members)`);
      if (await d.models.Device.exists({ _id: body.vin })) throw new HttpError(409, `vehicle ${body.vin} is registered already`);
      const c = d.registry.newCredentials(body.vin, 1);
      const { vin, ...rest } = body;
      try {
        await d.models.Device.create({ _id: vin, ...rest, callbackUri: body.callbackUri ?? `vehicle:${vin}`, enabled: true, ...c.stored });
      } catch (err) {
        if ((err as { code?: number }).code === 11000) throw new HttpError(409, `vehicle ${vin} is registered already`);
        throw err;
      }
      const device = await d.models.Device.findById(vin).lean();
      return created({ device: view(device as DeviceDoc), credentials: { sipUser: vin, sipSecret: c.shown.sipSecret, httpToken: c.shown.httpToken, version: 1 } });
    },
  });

  registry.add({
    method: 'get',
    path: '/api/assist/devices/:vin',
    tag: 'assist',
    summary: 'A vehicle terminal',
    access: STAFF,
    params: z.object({ vin: Vin }),
    responses: { 200: { description: 'the device', schema: DeviceView }, 404: { description: "no such vehicle in the caller's stores" } },
    handler: async ({ scope, params }) => ok(view(await deviceIn(scope, params.vin))),
  });

  registry.add({
    method: 'patch',
    path: '/api/assist/devices/:vin',
    tag: 'assist',
    summary: 'Enable or disable a terminal (a disabled one is refused: SIP 403, HTTP 403)',
    access: ADMINS,
    params: z.object({ vin: Vin }),
    body: devicePatch,
    responses: { 200: { description: 'changed', schema: DeviceView }, 404: { description: "no such vehicle in the caller's stores" } },
    handler: async ({ scope, params, body }) => {
      await deviceIn(scope, params.vin);
      await d.models.Device.updateOne({ _id: params.vin }, { $set: { enabled: body.enabled } });
      return ok(view(await deviceIn(scope, params.vin)));
    },
  });

  registry.add({
    method: 'post',
    path: '/api/assist/devices/:vin/rotate',
    tag: 'assist',
    summary: 'New credentials for a terminal (the old SIP secret and token stop working at once); shown once',
    access: ADMINS,
    params: z.object({ vin: Vin }),
    responses: { 200: { description: 'the new credentials', schema: Credentials }, 404: { description: "no such vehicle in the caller's stores" } },
    handler: async ({ scope, params }) => {
      await deviceIn(scope, params.vin);
      const c = await d.registry.rotate(params.vin);
      if (!c) throw new HttpError(404, `no vehicle ${params.vin}`);
      return ok({ sipUser: params.vin, sipSecret: c.sipSecret, httpToken: c.httpToken, version: c.version });
    },
  });

  registry.add({
    method: 'post',
    path: '/api/assist/devices/:vin/destinations',
    tag: 'assist',
    summary: "Push a destination to the car's navigation through the telematics provider (retried while it is down); the outcome comes to the pushing desk as assist:push",
    access: ['agent', 'supervisor', 'admin'],
    params: z.object({ vin: Vin }),
    body: z.strictObject({ label: z.string().min(1).max(60), address: z.string().min(1).max(200), lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180), callId: z.uuid().optional() }),
    responses: { 202: { description: 'queued', schema: z.object({ pushId: z.string() }) }, 404: { description: 'no such vehicle' }, 409: { description: 'the vehicle is disabled' } },
    handler: async ({ me, params, body }) => {
      // assistants serve every member's car: not limited to the caller's stores
      const device = await d.models.Device.findById(params.vin, { enabled: 1 }).lean();
      if (!device) throw new HttpError(404, `no vehicle ${params.vin}`);
      if (!device.enabled) throw new HttpError(409, `vehicle ${params.vin} is disabled`);
      const pushId = await d.pushDestination({ vin: params.vin, label: body.label, address: body.address, lat: body.lat, lon: body.lon, by: me.username, callId: body.callId ?? null });
      return { status: 202, body: { pushId } };
    },
  });

  registry.add({
    method: 'post',
    path: '/api/assist/theft',
    tag: 'assist',
    summary: 'A theft alarm posted by the telematics provider (Authorization: Bearer <provider token>): the owner is called ("press 1 if you are with the car"); otherwise an assistant gets a priority task',
    description: 'Not a user route: the provider authenticates with ASSIST_PROVIDER_INBOUND_TOKEN.',
    access: 'public',
    body: z.strictObject({ vin: Vin, lat: z.number().min(-90).max(90).optional(), lon: z.number().min(-180).max(180).optional(), note: z.string().max(200).optional() }),
    responses: {
      202: { description: 'the owner is being called', schema: z.object({ alarmId: z.string() }) },
      401: { description: 'no or wrong provider token' },
      404: { description: 'no such vehicle; or theft alarms are off on this server (no provider token), as /metrics without its token' },
    },
    handler: async ({ req, body }) => {
      const expected = d.providerToken;
      if (!expected) throw new HttpError(404, 'theft alarms are off: set ASSIST_PROVIDER_INBOUND_TOKEN');
      const given = Buffer.from(/^Bearer\s+(\S+)$/i.exec(req.header('authorization') ?? '')?.[1] ?? '');
      const want = Buffer.from(expected);
      if (given.length !== want.length || !timingSafeEqual(given, want)) throw new HttpError(401, 'the telematics provider sends Authorization: Bearer <provider token>');
      const device = await d.models.Device.findById(body.vin).lean();
      if (!device) throw new HttpError(404, `no vehicle ${body.vin}`);
      return { status: 202, body: { alarmId: await d.theft(device, body) } };
    },
  });

  registry.add({
    method: 'post',
    path: '/api/assist/events',
    tag: 'assist',
    summary: 'A button press posted by the terminal itself (Authorization: Bearer <device token>): queued for an assistant, then the car is called back',
    description: 'Not a user route: the terminal authenticates with its own token (401 without a valid one, 403 when the device is disabled).',
    access: 'public',
    body: PressBody,
    responses: {
      202: { description: 'queued; the car will be called back', schema: z.object({ callId: z.string(), faults: z.array(z.string()) }) },
      401: { description: 'no or wrong device token' },
      403: { description: 'the device is disabled' },
      503: { description: 'the assistant queue is not available' },
    },
    handler: async ({ req, body }) => {
      const a = await d.registry.authenticateHttp(req.header('authorization'));
      if (!a.ok) throw new HttpError(a.status, a.error);
      const faults = pressFromFields(a.device._id, body).faults;
      let callId: string;
      try {
        callId = await d.press(a.device, body);
      } catch (err) {
        if (err instanceof CallActionError) throw new HttpError(503, err.message, 'unavailable', { 'Retry-After': '5' });
        throw err;
      }
      return { status: 202, body: { callId, faults } };
    },
  });
}

