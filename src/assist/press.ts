import { ASSIST_EVENT_TYPES, type AssistEventType, type GeoPoint, type MsdView } from '../shared/assist';
import type { BodyPart } from '../telephony/switch';
import { decodeMsd } from './msd';

/**
 * A button press as the car reports it, read from a call (RFC 8147 MSD body part, or the simple
 * headers) or an HTTP event. What cannot be read is kept as a fault: the press still reaches an
 * assistant.
 */
export interface Press {
  vin: string;
  eventType: AssistEventType;
  activation: 'manual' | 'automatic';
  position: GeoPoint | null;
  headingDeg: number | null;
  speedKmh: number | null;
  passengers: number | null;
  msd: MsdView | null;
  faults: string[];
}

export const MSD_CONTENT_TYPE = 'application/emergencyCallData.eCall.MSD';

/** Priority in the assistant queue: an automatic crash first, then theft, roadside, concierge. */
export function priorityOf(p: Pick<Press, 'eventType' | 'activation'>): number {
  const base = { crash: 30, theft: 20, roadside: 10, concierge: 0 }[p.eventType];
  return p.eventType === 'crash' && p.activation === 'automatic' ? base + 5 : base;
}

/** The simple form's fields (headers X-Vehicle-*, or the HTTP event's JSON), all as sent. */
export interface SimpleFields {
  event?: string | undefined;
  activation?: string | undefined;
  lat?: string | number | undefined;
  lon?: string | number | undefined;
  heading?: string | number | undefined;
  speed?: string | number | undefined;
  passengers?: string | number | undefined;
}

/** From a SIP call: the MSD part Call-Info points at (or any MSD part), else the X-Vehicle-* headers. */
export function pressFromCall(vin: string, headers: Record<string, string>, parts: BodyPart[] | undefined): Press {
  const simple: SimpleFields = {
    event: headers['x-vehicle-event'],
    activation: headers['x-vehicle-activation'],
    lat: headers['x-vehicle-lat'] ?? headers['x-vehicle-latitude'],
    lon: headers['x-vehicle-lon'] ?? headers['x-vehicle-longitude'],
    heading: headers['x-vehicle-heading'],
    speed: headers['x-vehicle-speed'],
    passengers: headers['x-vehicle-passengers'],
  };
  const press = pressFromFields(vin, simple);
  const part = msdPart(headers['call-info'], parts);
  if (part === undefined) return press;
  if (part === null) {
    press.faults.push('Call-Info names an MSD the INVITE does not carry');
    return press;
  }
  return withMsd(press, part.body, simple);
}

/** An updated MSD (SIP INFO): the press with the new data, faults of the update added. */
export function pressUpdated(before: Press, parts: BodyPart[], callInfo: string | undefined): Press {
  const part = msdPart(callInfo, parts);
  if (!part) return { ...before, faults: [...before.faults, 'an INFO came without an MSD'] };
  return withMsd({ ...before, faults: [...before.faults] }, part.body, { event: before.eventType });
}

export function pressFromFields(vin: string, f: SimpleFields): Press {
  const faults: string[] = [];
  let eventType: AssistEventType = 'concierge';
  if (f.event !== undefined) {
    const e = String(f.event).toLowerCase();
    if ((ASSIST_EVENT_TYPES as readonly string[]).includes(e)) eventType = e as AssistEventType;
    else faults.push(`unknown event type "${String(f.event).slice(0, 30)}" (taken as concierge)`);
  }
  const activation = String(f.activation ?? '').toLowerCase() === 'automatic' ? 'automatic' : 'manual';
  return {
    vin,
    eventType,
    activation,
    position: position(f.lat, f.lon, faults),
    headingDeg: ranged(f.heading, 0, 360, 'heading', faults),
    speedKmh: ranged(f.speed, 0, 400, 'speed', faults),
    passengers: ranged(f.passengers, 0, 99, 'passengers', faults),
    msd: null,
    faults,
  };
}

function withMsd(press: Press, body: Uint8Array, simple: SimpleFields): Press {
  const r = decodeMsd(body);
  if (!r.ok) {
    press.faults.push(r.error);
    return press;
  }
  const m = r.msd;
  const p: Press = { ...press, msd: m, position: m.position, headingDeg: m.headingDeg, passengers: m.passengers ?? press.passengers };
  if (m.automaticActivation) {
    p.activation = 'automatic';
    p.eventType = 'crash';
  } else if (simple.event === undefined) p.eventType = 'roadside';
  if (m.vin !== press.vin) p.faults.push(`the MSD names VIN ${m.vin}, the call ${press.vin}`);
  if (!m.positionCanBeTrusted) p.faults.push('the car says its position cannot be trusted');
  if (m.testCall) p.faults.push('test call (the car says so)');
  return p;
}

function msdPart(callInfo: string | undefined, parts: BodyPart[] | undefined): BodyPart | null | undefined {
  const cid = callInfo ? /<cid:([^>]+)>\s*;[^,]*purpose\s*=\s*EmergencyCallData\.eCall\.MSD/i.exec(callInfo)?.[1] : undefined;
  const msds = (parts ?? []).filter((p) => p.contentType.toLowerCase().split(';')[0]?.trim() === MSD_CONTENT_TYPE.toLowerCase());
  if (cid) return msds.find((p) => p.contentId === cid) ?? msds[0] ?? null;
  return msds[0];
}

function position(lat: unknown, lon: unknown, faults: string[]): GeoPoint | null {
  if (lat === undefined && lon === undefined) return null;
  const a = Number(lat);
  const o = Number(lon);
  if (lat === undefined || lon === undefined || lat === '' || lon === '' || !Number.isFinite(a) || !Number.isFinite(o) || Math.abs(a) > 90 || Math.abs(o) > 180) {
    faults.push(`position not usable: latitude "${String(lat).slice(0, 20)}", longitude "${String(lon).slice(0, 20)}"`);
    return null;
  }
  return { lat: a, lon: o };
}

function ranged(v: unknown, lo: number, hi: number, what: string, faults: string[]): number | null {
  if (v === undefined || v === '') return null;
  const n = Number(v);
  if (!Number.isFinite(n) || n < lo || n > hi) {
    faults.push(`${what} not usable: "${String(v).slice(0, 20)}"`);
    return null;
  }
  return n;
}
