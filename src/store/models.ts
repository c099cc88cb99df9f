import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';

export const ROLES = ['agent', 'sales_consultant', 'supervisor', 'manager', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const userSchema = new Schema(
  {
    username: { type: String, required: true, unique: true, trim: true },
    displayName: { type: String, required: true },
    passwordHash: { type: String, required: true },
    roles: { type: [String], enum: ROLES, default: ['agent'] },
    storeIds: { type: [String], default: [] },
    queueIds: { type: [String], default: [] },
    /** The number an agent's own extension answers on (SIP user), e.g. "1001". */
    extension: { type: String },
    /** Skills with levels 1 (basic) to 10 (expert), e.g. [{ skill: 'dcc', level: 7 }]. */
    skills: { type: [{ skill: { type: String, required: true }, level: { type: Number, required: true, min: 1, max: 10 } }], default: [] },
    /** false: the account is disabled (cannot log in; its tokens and desks were ended). */
    active: { type: Boolean, default: true },
    /** Bumped by logout, deactivation and role/store changes: access tokens of an older generation are refused. */
    tokenGeneration: { type: Number, default: 0 },
    /** Mixed into the derived SIP password: bumping it resets this agent's SIP password alone. */
    sipPasswordVersion: { type: Number, default: 0 },
  },
  { timestamps: true },
);

const funnelEventSchema = new Schema(
  {
    at: { type: Date, required: true },
    kind: { type: String, required: true, enum: ['visit', 'test_drive', 'quote', 'grade_change', 'defeat', 'call', 'appointment', 'note'] },
    storeId: String,
    model: String,
    grade: { type: String, enum: ['A', 'B', 'C', 'H', 'O', 'F'] },
    note: String,
  },
  { _id: false },
);

const customerSchema = new Schema(
  {
    name: { type: String, required: true },
    /** E.164, e.g. +8613800138000; the screen-pop looks callers up here. */
    phones: { type: [String], required: true, index: true },
    gender: { type: String, enum: ['male', 'female', 'unknown'], default: 'unknown' },
    city: String,
    grade: { type: String, enum: ['A', 'B', 'C', 'H', 'O', 'F'] },
    status: { type: String, enum: ['prospect', 'defeated', 'customer', 'driver'], default: 'prospect' },
    defeatReason: String,
    owningStoreId: String,
    /** username of the sales consultant or DCC agent who owns the relationship */
    owningUser: String,
    modelsConsidered: { type: [String], default: [] },
    /** Set by a call outcome; the dialer calls the customer again from then on. */
    nextFollowUpAt: Date,
    /**
     * The customer's calls, newest last, as the screen-pop shows them (denormalised from call
     * records so that a pop is one read by _id; trimmed when it grows long).
     */
    recentCalls: {
      type: [{ _id: false, callId: String, at: Date, direction: String, outcome: String, agent: String, disposition: String, notes: String }],
      default: [],
    },
    funnel: { type: [funnelEventSchema], default: [] },
    /** Whether the customer agreed to be called (outbound campaigns), when and how we learnt it. */
    consent: { call: { type: Boolean }, at: Date, source: String },
  },
  { timestamps: true },
);

/**
 * Phone number (E.164, as _id) → customer: the screen-pop's lookup is a primary-key read. Kept in
 * step by the hooks below when customers are created or saved (changes to `phones` must go through
 * save(), not updateOne).
 */
const customerPhoneSchema = new Schema({
  _id: { type: String, required: true },
  customerId: { type: Schema.Types.ObjectId, required: true },
});

async function indexPhones(db: Connection, docs: { _id: unknown; phones?: string[] | null }[]): Promise<void> {
  const ops = docs.flatMap((d) => (d.phones ?? []).map((phone) => ({ updateOne: { filter: { _id: phone }, update: { $set: { customerId: d._id } }, upsert: true } })));
  if (ops.length > 0) await db.model('CustomerPhone').bulkWrite(ops);
}

customerSchema.post('save', async function (doc) {
  await indexPhones(doc.db, [doc]);
});
customerSchema.post('insertMany', async function (docs: { _id: unknown; phones?: string[] | null; db: Connection }[]) {
  const first = docs[0];
  if (first) await indexPhones(first.db, docs);
});

// ---- organisation: dealer groups → stores (4S dealerships, with hours) → teams ---------------

const dealerGroupSchema = new Schema({ _id: { type: String, required: true }, name: { type: String, required: true } }, { timestamps: true });

const storeSchema = new Schema(
  {
    _id: { type: String, required: true },
    groupId: { type: String, required: true },
    name: { type: String, required: true },
    city: String,
    /** IANA time zone of the store; its hours and holidays are in local time. */
    timeZone: { type: String, default: 'Asia/Shanghai' },
    /** ISO weekday "1" (Monday) … "7" → ["09:00-18:00", ...] */
    hours: { type: Schema.Types.Mixed, default: {} },
    /** Local dates (YYYY-MM-DD) closed all day. */
    holidays: { type: [String], default: [] },
    /** E.164 prefixes (e.g. "+86400800") agents of the store may transfer calls to; colleagues are always allowed. */
    transferAllow: { type: [String], default: [] },
  },
  { timestamps: true, minimize: false },
);

const teamSchema = new Schema(
  {
    _id: { type: String, required: true },
    storeId: { type: String, required: true },
    name: { type: String, required: true },
    members: { type: [String], default: [] },
    /** false: deactivated (kept for reports; campaigns can no longer be given to it). */
    active: { type: Boolean, default: true },
  },
  { timestamps: true },
);

const queueSchema = new Schema(
  {
    queueId: { type: String, required: true, unique: true },
    name: { type: String, required: true },
    storeId: String,
    /** Dialled numbers routed to this queue. */
    numbers: { type: [String], default: [] },
    greetingPrompt: { type: String, default: 'welcome' },
    offerTimeoutMs: Number,
    wrapUpMs: Number,
    /** How a ready agent is chosen among those who qualify. */
    strategy: { type: String, enum: ['longest_idle', 'round_robin', 'fewest_calls', 'ring_all'], default: 'longest_idle' },
    /** How long a call may wait before it overflows; unset: no limit. */
    maxWaitMs: Number,
    /** Where a call goes after maxWaitMs: another queue, or a goodbye prompt and hang-up. */
    overflow: { kind: { type: String, enum: ['queue', 'callback', 'voicemail', 'hangup'] }, queueId: String },
    /** How long a call waits for its preferred agent before any qualified agent may take it. */
    preferredWaitMs: { type: Number, default: 30_000 },
    dispositionCodes: { type: [String], default: ['appointment_set', 'callback_requested', 'info_given', 'not_interested', 'wrong_number'] },
    /** Every this often a waiting caller hears their position and the estimated wait; unset: never. */
    announceEveryMs: Number,
    /** During an announcement the caller may press this key to be called back instead of waiting. */
    callbackKey: { type: String, enum: ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '*', '#'] },
    /** How long an agent may extend their wrap-up beyond wrapUpMs, in total. */
    wrapUpExtendMaxMs: { type: Number, default: 300_000 },
    /** The agent must save an outcome before leaving wrap-up; the wrap-up timer then does not make them ready (the shipped DCC queues turn it on). */
    requireDisposition: { type: Boolean, default: false },
    /** false: deactivated by a manager (its numbers no longer route to it; flows naming it keep loading). */
    active: { type: Boolean, default: true },
    /** Service level: the share to reach (0..1) answered within thresholdSec; abandons under shortAbandonSec left out. Unset: 80/20, 5 s. */
    serviceLevel: { target: { type: Number, min: 0, max: 1 }, thresholdSec: { type: Number, min: 1 }, shortAbandonSec: { type: Number, min: 0 } },
  },
  { timestamps: true },
);

// Call records and dispositions are keyed by the call id itself (_id): every write during a call
// is then a primary-key lookup, which FerretDB's SQLite backend serves without a table scan.
const callRecordSchema = new Schema(
  {
    _id: { type: String, required: true },
    callId: { type: String, required: true },
    direction: { type: String, enum: ['inbound', 'outbound'], required: true },
    source: { type: String, enum: ['trunk', 'vehicle', 'agent'], required: true },
    from: { type: String, required: true },
    to: { type: String, required: true },
    customerId: { type: Schema.Types.ObjectId, ref: 'Customer' },
    queueId: String,
    agentUsername: String,
    /** offered → queued → offered_to_agent → connected → ended */
    status: { type: String, enum: ['ringing', 'ivr', 'queued', 'callback_waiting', 'connected', 'ended'], required: true },
    /**
     * answered: talked to an agent · abandoned: hung up before one · overflowed: sent away after max wait ·
     * ivr_completed: the flow ended the call · transferred: sent to another number · callback_failed:
     * the agent called back and nobody answered · lost: the instance running the call died (or its
     * session failed) and the sweeper closed it; `lostPhase` says where it was.
     */
    outcome: { type: String, enum: ['answered', 'abandoned', 'overflowed', 'voicemail', 'rejected', 'failed', 'shutdown', 'ivr_completed', 'transferred', 'callback_failed', 'lost'] },
    /** The phase a lost call was in when its instance died or its session failed. */
    lostPhase: String,
    /** The IVR flow the caller went through: nodes visited, keys pressed, variables set. */
    ivr: { flowId: String, path: { type: Schema.Types.Mixed }, vars: { type: Schema.Types.Mixed } },
    /** The caller chose to be called back instead of waiting (keeps the place in the queue). */
    callbackRequestedAt: Date,
    /** The number the IVR transferred the caller to. */
    transferredTo: String,
    /** Queues the call overflowed from, oldest first. */
    overflowedFrom: { type: [String], default: undefined },
    offeredAt: { type: Date, required: true },
    queuedAt: Date,
    connectedAt: Date,
    endedAt: Date,
    endCause: String,
    endedBy: { type: String, enum: ['caller', 'agent', 'system'] },
    waitMs: Number,
    talkMs: Number,
    /** The conversation's stereo recording (customer left, agent right), filed by the store's local date. */
    recording: {
      file: String,
      startedAt: Date,
      stoppedAt: Date,
      durationMs: Number,
      channels: Number,
      /** Silenced while the customer read out card details. */
      maskedMs: Number,
    },
    disposition: {
      code: String,
      notes: String,
      agentUsername: String,
      at: Date,
    },
    /** The agent transferred the customer (blind, or after consulting): to whom, and their talk. */
    transfer: { kind: { type: String, enum: ['blind', 'consult'] }, to: String, by: String, at: Date, endedAt: Date, talkMs: Number },
    /** Times the agent put the customer on hold, and for how long in all. */
    holdCount: Number,
    holdMs: Number,
    /** Times the customer's own phone put the call on hold (re-INVITE sendonly/inactive), for how long in all, and the last mode. */
    customerHoldCount: Number,
    customerHoldMs: Number,
    customerHoldMode: { type: String, enum: ['sendonly', 'inactive'] },
    /** A call refused before it was answered: the SIP final response the caller got (488 codecs, 503 media server) and why. */
    sipStatus: Number,
    sipReason: String,
    /** Supervisors who listened, whispered or barged in, each change of mode with its time. */
    monitors: { type: [{ _id: false, supervisorUsername: String, mode: { type: String, enum: ['listen', 'whisper', 'barge'] }, at: Date }], default: undefined },
  },
  { timestamps: true },
);
// The screen-pop's "last calls" of a customer.
callRecordSchema.index({ customerId: 1, offeredAt: -1 });

const dispositionSchema = new Schema(
  {
    /** The call id: one disposition per call. */
    _id: { type: String, required: true },
    callId: { type: String, required: true },
    agentUsername: { type: String, required: true },
    customerId: { type: Schema.Types.ObjectId, ref: 'Customer' },
    queueId: String,
    code: { type: String, required: true },
    notes: { type: String, default: '' },
    at: { type: Date, required: true },
    appointment: { storeId: String, consultant: String, at: Date },
    nextFollowUpAt: Date,
    grade: { type: String, enum: ['A', 'B', 'C', 'H', 'O', 'F'] },
    /**
     * The outcome for the CRM, written in the same document as the disposition (an outbox): the relay
     * hands it to the write-back queue and marks it sent; a crash in between only delays it.
     */
    outbox: { state: { type: String, enum: ['pending', 'sent'] }, event: Schema.Types.Mixed, sentAt: Date },
  },
  { timestamps: true },
);
dispositionSchema.index({ 'outbox.state': 1 });

// ---- outbound: lead lists imported from CSV or the CRM --------------------------------------

/** A lead list: belongs to one store; its leads are imported from CSV or the CRM. */
const leadListSchema = new Schema(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    storeId: { type: String, required: true },
    createdBy: { type: String, required: true },
  },
  { timestamps: true },
);

/** A lead of a list: one per phone number in the list (`_id` = `<listId>:<E.164>`, so re-imports merge). */
const leadSchema = new Schema(
  {
    _id: { type: String, required: true },
    listId: { type: String, required: true },
    phone: { type: String, required: true },
    name: String,
    grade: { type: String, enum: ['A', 'B', 'C', 'H', 'O', 'F'] },
    defeatReason: String,
    storeId: String,
    consultant: String,
    lastContactAt: Date,
    /** IANA time zone of the lead; call windows are in this local time. */
    timeZone: { type: String, default: 'Asia/Shanghai' },
    /** The lead agreed to be called (the CSV's consent column, the manager's attestation, or the CRM's record); checked again at dial time. */
    consent: { type: Boolean, default: false },
    attempts: { type: Number, default: 0 },
    /** When the lead may be dialled next (retries, follow-up cadence, the 72 h rule). */
    nextDialAt: Date,
    lastOutcome: String,
    lastAttemptAt: Date,
    /** A personal callback: only this agent calls the lead next. */
    callbackAgent: String,
    /** Agents who passed on the lead in preview, and why. */
    skips: { type: [{ _id: false, agent: String, reason: String, at: Date }], default: undefined },
    status: { type: String, enum: ['new', 'in_progress', 'done', 'dnc'], default: 'new' },
  },
  { timestamps: true },
);
leadSchema.index({ listId: 1, _id: 1 });

/** An outbound campaign over lead lists; its status survives restarts (running campaigns resume). */
const campaignSchema = new Schema(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    storeIds: { type: [String], default: [] },
    mode: { type: String, enum: ['preview', 'progressive', 'predictive'], required: true },
    callerId: { type: String, required: true },
    listIds: { type: [String], default: [] },
    /** Usernames of the agents who work the campaign. */
    agents: { type: [String], default: [] },
    /** The team the campaign was given to (its members were added to agents). */
    teamId: String,
    window: { days: [Number], from: String, to: String, holidays: [String] },
    retry: { busyMs: Number, noAnswerMs: Number, failedMs: Number, maxAttempts: Number },
    machine: { type: String, enum: ['hangup', 'message'], default: 'hangup' },
    machinePrompt: String,
    safeHarborPrompt: { type: String, default: 'safe_harbor' },
    abandonLimit: { type: Number, default: 0.03 },
    wrapUpMs: { type: Number, default: 30_000 },
    wrapUpExtendMaxMs: { type: Number, default: 120_000 },
    dispositionCodes: { type: [String], default: ['appointment_set', 'callback_requested', 'not_interested', 'bought_elsewhere', 'wrong_number'] },
    script: String,
    /** Preview: seconds an agent has to dial or skip a lead card before it is dialled by itself (unset: no countdown). */
    previewCountdownSeconds: Number,
    status: { type: String, enum: ['draft', 'running', 'paused', 'stopped', 'exhausted'], default: 'draft' },
    /** The recycling rule: finished leads with these last outcomes, untried this many days, start over (POST /recycle). */
    recycle: { outcomes: { type: [String], default: undefined }, olderThanDays: Number },
  },
  { timestamps: true },
);

export type CampaignDoc = InferSchemaType<typeof campaignSchema>;

/** A message a caller left when the queue overflowed to voicemail; someone calls back and marks it handled. */
const voicemailSchema = new Schema(
  {
    _id: { type: String, required: true },
    callId: { type: String, required: true },
    queueId: { type: String, required: true },
    storeId: String,
    from: { type: String, required: true },
    customerId: { type: Schema.Types.ObjectId, ref: 'Customer' },
    durationMs: { type: Number, required: true },
    /** Where the switch stored the audio. */
    file: { type: String, required: true },
    at: { type: Date, required: true },
    handledBy: String,
    handledAt: Date,
  },
  { timestamps: true },
);
/**
 * A call recording's life after the call (kept apart from the call record, whose writes belong to the
 * call session): uploaded to the archive, purged at the end of its retention.
 */
const recordingArchiveSchema = new Schema(
  {
    /** The call id. */
    _id: { type: String, required: true },
    /** Where FreeSWITCH wrote it. */
    file: { type: String, required: true },
    stoppedAt: { type: Date, required: true },
    uploadedTo: String,
    uploadedAt: Date,
    purgedAt: Date,
    /** Why it could not be archived (the file was missing…). */
    error: String,
  },
  { timestamps: true },
);
export type RecordingArchiveDoc = InferSchemaType<typeof recordingArchiveSchema>;

export type UserDoc = InferSchemaType<typeof userSchema>;
export type CustomerDoc = InferSchemaType<typeof customerSchema>;
export type QueueDoc = InferSchemaType<typeof queueSchema>;
export type CallRecordDoc = InferSchemaType<typeof callRecordSchema>;
export type DispositionDoc = InferSchemaType<typeof dispositionSchema>;

export type StoreDoc = InferSchemaType<typeof storeSchema>;

export interface Models {
  DealerGroup: Model<InferSchemaType<typeof dealerGroupSchema>>;
  Store: Model<StoreDoc>;
  Team: Model<InferSchemaType<typeof teamSchema>>;
  User: Model<UserDoc>;
  Customer: Model<CustomerDoc>;
  CustomerPhone: Model<InferSchemaType<typeof customerPhoneSchema>>;
  Queue: Model<QueueDoc>;
  CallRecord: Model<CallRecordDoc>;
  Disposition: Model<DispositionDoc>;
  LeadList: Model<InferSchemaType<typeof leadListSchema>>;
  Lead: Model<InferSchemaType<typeof leadSchema>>;
  Campaign: Model<CampaignDoc>;
  Voicemail: Model<InferSchemaType<typeof voicemailSchema>>;
  RecordingArchive: Model<RecordingArchiveDoc>;
}

/** Binds the schemas to one connection (tests use one database per suite). */
export function bindModels(conn: Connection): Models {
  return {
    DealerGroup: conn.model('DealerGroup', dealerGroupSchema),
    Store: conn.model('Store', storeSchema),
    Team: conn.model('Team', teamSchema),
    User: conn.model('User', userSchema),
    Customer: conn.model('Customer', customerSchema),
    CustomerPhone: conn.model('CustomerPhone', customerPhoneSchema),
    Queue: conn.model('Queue', queueSchema),
    CallRecord: conn.model('CallRecord', callRecordSchema),
    Disposition: conn.model('Disposition', dispositionSchema),
    LeadList: conn.model('LeadList', leadListSchema),
    Lead: conn.model('Lead', leadSchema),
    Campaign: conn.model('Campaign', campaignSchema),
    Voicemail: conn.model('Voicemail', voicemailSchema),
    RecordingArchive: conn.model('RecordingArchive', recordingArchiveSchema),
  };
}

/** Creates collections and indexes (unique usernames, call ids) before traffic arrives. */
export async function ensureIndexes(models: Models): Promise<void> {
  for (const model of Object.values(models) as Model<unknown>[]) await model.createIndexes();
}
