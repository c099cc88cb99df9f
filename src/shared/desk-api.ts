import { z } from 'zod';

/**
 * REST contract of the web app's desk (agent desk now; the supervisor board and the manager console
 * reuse the shell parts): what `GET /api/me` and the desk's other routes answer, and the bodies they
 * take. The server validates bodies with these schemas; the web app uses the same types.
 */

export const ROLE_NAMES = ['agent', 'sales_consultant', 'supervisor', 'manager', 'admin'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

/** `POST /api/auth/login` answer. */
export interface LoginAnswer {
  token: string;
  expiresAt: number;
  /** How long the access token lasts from when this answer was sent. */
  expiresInMs: number;
  /** One-use: POST /api/auth/refresh { refreshToken } for a new pair before `expiresAt`. */
  refreshToken: string;
  refreshExpiresAt: number;
  user: { username: string; displayName: string; roles: RoleName[]; queueIds: string[] };
}

export interface StoreRef {
  storeId: string;
  name: string;
  timeZone: string;
}

export interface QueueRef {
  queueId: string;
  name: string;
  storeId: string | undefined;
  dispositionCodes: string[];
}

/**
 * How the desk's phone works: `webrtc` — JsSIP registers at `wsUri` (GET /api/me/sip gives the
 * credentials); `sim` — the simulated switch answers the agent's leg, the desk's controls drive it;
 * `none` — neither (a real switch without a WebSocket address: the agent uses a desk phone).
 */
export type SoftphoneMode = 'webrtc' | 'sim' | 'none';

/** `GET /api/me`: everything the shell needs after login. */
export interface MeProfile {
  username: string;
  displayName: string;
  roles: RoleName[];
  extension: string | undefined;
  stores: StoreRef[];
  queues: QueueRef[];
  /** Reasons this deployment accepts for not ready (NOT_READY_REASONS). */
  notReadyReasons: string[];
  softphone: SoftphoneMode;
  /** The server's clock now (ms since epoch): the desk counts time in state and wrap-up from the server's timestamps. */
  serverTime: number;
}

/** A campaign this agent works (`GET /api/me/campaigns`). */
export interface DeskCampaign {
  campaignId: string;
  name: string;
  mode: 'preview' | 'progressive' | 'predictive';
  status: string;
  callerId: string;
  dispositionCodes: string[];
  script: string | undefined;
  /** Preview: seconds the agent has to decide before the lead is dialled by itself (unset: no countdown). */
  previewCountdownSeconds: number | undefined;
}

/** A colleague to transfer to (`GET /api/me/colleagues`): who works at the agent's stores and their presence. */
export interface Colleague {
  username: string;
  displayName: string;
  extension: string | undefined;
  roles: RoleName[];
  /** Their agent state now ('logged_out' when no desk is open). */
  state: string;
}

/** A scheduled callback of the agent's campaigns (`GET /api/me/callbacks`). */
export interface CallbackItem {
  leadId: string;
  campaignId: string;
  campaignName: string;
  phone: string;
  name: string | undefined;
  grade: string | undefined;
  defeatReason: string | undefined;
  /** When the call is due (ISO). */
  dueAt: string;
  /** personal: only this agent calls; team: whoever of the campaign is free. */
  scope: 'personal' | 'team';
  /** For team callbacks set by a colleague: who asked for it, when known. */
  lastOutcome: string | undefined;
}

export interface CallbackList {
  personal: CallbackItem[];
  team: CallbackItem[];
}

/** A sales consultant of a store and what they have booked on one day (`GET /api/stores/:storeId/consultants?date=`). */
export interface ConsultantDay {
  username: string;
  displayName: string;
  bookings: { at: string; customerName: string | undefined; bookedBy: string }[];
}

export const statsRangeSchema = z.enum(['today', 'week']);
export type StatsRange = z.infer<typeof statsRangeSchema>;

/** `GET /api/me/stats?range=today|week`. */
export interface MyStats {
  range: StatsRange;
  /** The range's start and end (ISO) in the agent's store time zone. */
  from: string;
  to: string;
  callsHandled: number;
  inbound: number;
  outbound: number;
  talkMs: number;
  /** Average handle time: talk (with hold) plus after-call work up to the saved outcome. */
  ahtMs: number;
  appointments: number;
  /** Defeated customers the agent booked a store visit for in the range. */
  wonBack: number;
  /** Buckets for the chart: hours of today, or days of the week. */
  series: { label: string; calls: number; appointments: number }[];
}

const phone = z.string().regex(/^\+?[0-9][0-9 -]{4,19}$/, { error: 'must be a phone number' });

/** `POST /api/customers`: a caller the CRM did not know, created from the desk. */
export const createCustomerSchema = z.strictObject({
  name: z.string().trim().min(1, { error: 'required' }).max(60),
  phone,
  gender: z.enum(['male', 'female', 'unknown']).default('unknown'),
  city: z.string().trim().max(40).optional(),
  storeId: z.string().min(1, { error: 'required' }).max(60),
  grade: z.enum(['A', 'B', 'C', 'H', 'O', 'F']).optional(),
  modelsConsidered: z.array(z.string().regex(/\S/, 'must not be blank').trim().max(60)).max(10).default([]),
  note: z.string().max(2000).optional(),
});
export type CreateCustomerBody = z.input<typeof createCustomerSchema>;
