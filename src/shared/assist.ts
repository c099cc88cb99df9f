/**
 * The one-touch in-car assistant (#15): what a driver's button press carries and what the assistant's
 * desk shows (`ScreenPop.inCar`). Shared by the server and the web app.
 */

/** Why the driver (or the car) called, highest priority first. */
export const ASSIST_EVENT_TYPES = ['crash', 'theft', 'roadside', 'concierge'] as const;
export type AssistEventType = (typeof ASSIST_EVENT_TYPES)[number];

export interface GeoPoint {
  lat: number;
  lon: number;
}

/** The eCall Minimum Set of Data as decoded (EN 15722:2015, version 2). */
export interface MsdView {
  version: number;
  messageIdentifier: number;
  automaticActivation: boolean;
  testCall: boolean;
  positionCanBeTrusted: boolean;
  /** EU vehicle class (M1 = passenger car …). */
  vehicleType: string;
  vin: string;
  /** Energy stored on board: gasoline, diesel, cng, lpg, electric, hydrogen, other. */
  propulsion: string[];
  timestamp: string;
  position: GeoPoint;
  /** Degrees clockwise from north (2° steps); null when the car did not know. */
  headingDeg: number | null;
  /** The two positions before the current one (oldest last). */
  recentPositions: GeoPoint[];
  passengers: number | null;
  additionalData: { oid: string; bytes: number } | null;
}

export interface NearbyStore {
  storeId: string;
  name: string;
  city: string;
  phone: string;
  distanceKm: number;
  position: GeoPoint;
}

export interface MemberEvent {
  at: string;
  kind: string;
  note: string;
  position?: GeoPoint;
}

/** The driver screen-pop: everything the assistant sees when an in-car call is offered. */
export interface InCarPop {
  vin: string;
  eventType: AssistEventType;
  activation: 'manual' | 'automatic';
  /** How the press came in: the car called (SIP), or it posted the event and is called back. */
  way: 'sip' | 'callback';
  /** What could not be read (a malformed MSD, coordinates out of range): shown, the call goes on. */
  faults: string[];
  position: GeoPoint | null;
  headingDeg: number | null;
  speedKmh: number | null;
  passengers: number | null;
  msd: MsdView | null;
  member: {
    memberId: string;
    name: string;
    level: string;
    points: number;
    phones: string[];
    emergencyContact: { name: string; phone: string } | null;
  } | null;
  vehicle: { model: string; plate: string; color: string } | null;
  dealer: { storeId: string; storeName: string; consultant: string | null; serviceHistory: { at: string; what: string }[] } | null;
  nearestStores: NearbyStore[];
  recentPositions: (GeoPoint & { at: string })[];
  recentEvents: MemberEvent[];
  savedNumbers: { label: string; number: string }[];
  savedAddresses: { label: string; address: string; position?: GeoPoint }[];
  reminders: { text: string; due: string }[];
  /** An automatic crash nobody answered in time was escalated (supervisors, emergency contact). */
  escalated: boolean;
}
