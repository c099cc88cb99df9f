/** What the campaign engine needs from the rest of the system; production and simulation each provide them. */

export interface DialLead {
  leadId: string;
  /** E.164 */
  phone: string;
}

export type DialOutcome = 'connected' | 'abandoned' | 'machine' | 'busy' | 'no_answer' | 'failed';

/** Leads in dialling order, already filtered for call windows, DNC, consent and retry timing. */
export interface LeadSource {
  next(now: number): Promise<DialLead | undefined>;
  /** The result of one attempt (the source schedules retries and follow-ups from it). */
  outcome(lead: DialLead, outcome: DialOutcome, at: number): Promise<void>;
  /** True when no lead will ever be dialable again (not merely not now). */
  exhausted(now: number): Promise<boolean>;
}

/**
 * The campaign's agents as the dialer sees them. The counts are a view refreshed before each
 * pacing decision (`refresh`); taking an agent is a reservation in the shared store, so two
 * instances never give one agent two calls.
 */
export interface AgentPool {
  refresh?(now: number): Promise<void>;
  loggedIn(): number;
  ready(): number;
  /** For each busy agent: when their call started (talking) or when their wrap-up ends. */
  busy(): { talkingSince?: number; wrapUpUntil?: number }[];
  /** Takes a ready agent for a call that a person answered; undefined when none is ready. */
  take(): Promise<string | undefined>;
  /** Gives back an agent taken but not used (the caller it was for is gone). */
  release?(agentId: string): Promise<void>;
  /** Calls back once when any agent becomes ready (for the safe-harbor wait). */
  onReady(listener: () => void): () => void;
  /** The agent talks to the customer (this lead, on this leg); the pool knows when the talk and wrap-up end. */
  connect(agentId: string, legId: string, at: number, lead: DialLead): Promise<void>;
}

/**
 * The durable abandon ledger: per campaign and day, calls answered by a person and calls
 * abandoned. The 30-day rate is computed over the days of the rolling window.
 */
export interface AbandonLedger {
  record(campaignId: string, at: number, entry: { answered: number; abandoned: number }): Promise<void>;
  rate30d(campaignId: string, now: number): Promise<{ answered: number; abandoned: number; rate: number }>;
}
