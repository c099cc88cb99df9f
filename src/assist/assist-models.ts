import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';

/**
 * The in-car assistant's records (MongoDB): vehicle terminals, the members who own the cars, where
 * the stores are (for the nearest-store search) and what happened on each press (the timeline).
 */

const pointSchema = new Schema({ lat: { type: Number, required: true }, lon: { type: Number, required: true } }, { _id: false });

const deviceSchema = new Schema(
  {
    /** The VIN (17 characters). */
    _id: { type: String, required: true },
    memberId: { type: String, required: true },
    /** The selling store (the member's dealer). */
    storeId: { type: String, required: true },
    model: { type: String, default: '' },
    plate: { type: String, default: '' },
    color: { type: String, default: '' },
    enabled: { type: Boolean, default: true },
    /** SIP digest HA1 = md5(VIN:realm:secret); the secret itself is shown once, at registration or rotation. */
    sipHa1: { type: String, required: true },
    /** sha256 of the HTTP token (the token is shown once). */
    tokenHash: { type: String, required: true },
    /** Counts rotations. */
    credentialsVersion: { type: Number, default: 1 },
    /** The terminal's SIP address for callbacks (sip:… or, on the simulated switch, vehicle:<VIN>). */
    callbackUri: { type: String, default: '' },
    lastPosition: { type: pointSchema, default: undefined },
  },
  { timestamps: true },
);

const memberSchema = new Schema(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    phones: { type: [String], default: [] },
    /** 普卡 / 银卡 / 金卡 / 白金卡 … */
    level: { type: String, default: '普卡' },
    points: { type: Number, default: 0 },
    storeId: { type: String, required: true },
    consultant: { type: String, default: null },
    emergencyContact: { type: new Schema({ name: String, phone: String }, { _id: false }), default: null },
    savedNumbers: { type: [new Schema({ label: String, number: String }, { _id: false })], default: [] },
    savedAddresses: { type: [new Schema({ label: String, address: String, position: { type: pointSchema, default: undefined } }, { _id: false })], default: [] },
    reminders: { type: [new Schema({ text: String, due: Date }, { _id: false })], default: [] },
    serviceHistory: { type: [new Schema({ at: Date, what: String }, { _id: false })], default: [] },
  },
  { timestamps: true },
);

/** Store positions (the stores themselves are in the Store collection). */
const siteSchema = new Schema(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    city: { type: String, default: '' },
    phone: { type: String, default: '' },
    position: { type: pointSchema, required: true },
  },
  { timestamps: true },
);

/** The member's timeline: presses, positions, escalations, pushes. */
const eventSchema = new Schema(
  {
    vin: { type: String, required: true, index: true },
    memberId: { type: String, required: true },
    at: { type: Date, required: true },
    kind: { type: String, required: true },
    note: { type: String, default: '' },
    callId: { type: String, default: null },
    position: { type: pointSchema, default: undefined },
  },
  { timestamps: false },
);

export type DeviceDoc = InferSchemaType<typeof deviceSchema>;
export type MemberDoc = InferSchemaType<typeof memberSchema>;
export type SiteDoc = InferSchemaType<typeof siteSchema>;
export type AssistEventDoc = InferSchemaType<typeof eventSchema>;

export interface AssistModels {
  Device: Model<DeviceDoc>;
  Member: Model<MemberDoc>;
  Site: Model<SiteDoc>;
  Event: Model<AssistEventDoc>;
}

export function bindAssistModels(conn: Connection): AssistModels {
  return {
    Device: conn.model('AssistDevice', deviceSchema),
    Member: conn.model('AssistMember', memberSchema),
    Site: conn.model('AssistSite', siteSchema),
    Event: conn.model('AssistEvent', eventSchema),
  };
}
