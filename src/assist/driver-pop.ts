import type { InCarPop, NearbyStore } from '../shared/assist';
import type { AssistEventDoc, DeviceDoc, MemberDoc } from './assist-models';
import type { Press } from './press';

/** The driver screen-pop from what the car said and what we know of the member (pure). */
export function driverPop(p: {
  press: Press;
  way: InCarPop['way'];
  device: DeviceDoc;
  member: MemberDoc | null;
  storeName: string;
  nearest: NearbyStore[];
  events: AssistEventDoc[];
  now: number;
}): InCarPop {
  const { press, device, member } = p;
  const positions = p.events.filter((e) => e.position).map((e) => ({ lat: e.position?.lat as number, lon: e.position?.lon as number, at: e.at.toISOString() }));
  return {
    vin: press.vin,
    eventType: press.eventType,
    activation: press.activation,
    way: p.way,
    faults: press.faults,
    position: press.position,
    headingDeg: press.headingDeg,
    speedKmh: press.speedKmh,
    passengers: press.passengers,
    msd: press.msd,
    member: member
      ? {
          memberId: member._id,
          name: member.name,
          level: member.level,
          points: member.points,
          phones: member.phones,
          emergencyContact: member.emergencyContact?.phone ? { name: member.emergencyContact.name ?? '', phone: member.emergencyContact.phone } : null,
        }
      : null,
    vehicle: { model: device.model, plate: device.plate, color: device.color },
    dealer: {
      storeId: device.storeId,
      storeName: p.storeName,
      consultant: member?.consultant ?? null,
      serviceHistory: (member?.serviceHistory ?? []).slice(-5).reverse().map((s) => ({ at: s.at ? new Date(s.at).toISOString() : '', what: s.what ?? '' })),
    },
    nearestStores: p.nearest,
    recentPositions: positions.slice(0, 5),
    recentEvents: p.events.slice(0, 8).map((e) => ({ at: e.at.toISOString(), kind: e.kind, note: e.note, ...(e.position ? { position: { lat: e.position.lat, lon: e.position.lon } } : {}) })),
    savedNumbers: (member?.savedNumbers ?? []).map((s) => ({ label: s.label ?? '', number: s.number ?? '' })),
    savedAddresses: (member?.savedAddresses ?? []).map((s) => ({ label: s.label ?? '', address: s.address ?? '', ...(s.position ? { position: { lat: s.position.lat, lon: s.position.lon } } : {}) })),
    reminders: (member?.reminders ?? []).filter((r) => r.due && new Date(r.due).getTime() >= p.now - 86_400_000).map((r) => ({ text: r.text ?? '', due: new Date(r.due as Date).toISOString() })),
    escalated: false,
  };
}
