import type { Types } from 'mongoose';
import type { AgentChannel } from '../agents/agent-channel';
import type { CustomerDirectory } from '../crm/screen-pop';
import type { InflightWrites } from '../lifecycle/inflight';
import type { Logger } from '../log';
import type { Models } from '../store/models';
import { withWriteRetry } from '../store/retry';
import { UserError } from '../util/user-error';
import { crashPoint } from '../process/crash-point';
import type { CallRecordWriter } from './call-record-writer';

/** An outcome the agent must correct (unknown code, appointment in the past…) or one already recorded. */
export class DispositionError extends UserError {
  constructor(message: string, code: 'disposition_invalid' | 'disposition_duplicate' = 'disposition_invalid') {
    super(code, message);
  }
}

export const GRADES = ['A', 'B', 'C', 'H', 'O', 'F'] as const;

export { outcomeDetailsSchema, type OutcomeDetails } from '../shared/agent-events';
import type { OutcomeDetails } from '../shared/agent-events';

export interface DispositionInput extends OutcomeDetails {
  callId: string;
  agentId: string;
  code: string;
  notes: string;
  at: Date;
  customerId: Types.ObjectId | undefined;
  queueId: string;
}

/** A recorded outcome, as the CRM write-back receives it (the call id is its idempotency key). */
export interface CrmOutcomeEvent {
  callId: string;
  customerId: string | undefined;
  agentUsername: string;
  queueId: string;
  code: string;
  notes: string;
  at: string;
  appointment?: { storeId: string; consultant: string; at: string } | undefined;
  nextFollowUpAt?: string | undefined;
  gradeChange?: { from: string | undefined; to: string } | undefined;
}

/** Where outcomes go after they are stored: the CRM write-back queue (optional). */
export interface OutcomeSink {
  enqueue(outcome: CrmOutcomeEvent): Promise<void>;
}

/** Whoever relays the outbox now (called after a disposition is stored, so the CRM hears at once). */
export interface OutboxNudge {
  nudge(): void;
}

/**
 * Records an agent's outcome once per call: the Disposition (its _id, the call id, makes a second
 * write fail) carrying its CRM outbox entry in the same document — so an outcome stored is an
 * outcome the CRM will receive, whatever dies after — then its copy on the call record, the
 * customer's funnel and history (appointment, grade change, next follow-up); tells the appointment's
 * consultant live; and nudges the outbox relay, which hands the outcome to the CRM write-back.
 */
export class DispositionService {
  constructor(
    private readonly deps: { models: Models; records: CallRecordWriter; customers: CustomerDirectory; channel: AgentChannel; inflight: InflightWrites; sink: OutcomeSink | undefined; relay?: OutboxNudge; log: Logger },
  ) {}

  async record(d: DispositionInput): Promise<void> {
    await this.check(d);
    const { models } = this.deps;
    const before = d.customerId ? await models.Customer.findById(d.customerId, { grade: 1, phones: 1, recentCalls: 1 }).lean() : null;
    const event: CrmOutcomeEvent = {
      callId: d.callId,
      customerId: d.customerId ? String(d.customerId) : undefined,
      agentUsername: d.agentId,
      queueId: d.queueId,
      code: d.code,
      notes: d.notes,
      at: d.at.toISOString(),
      appointment: d.appointment,
      nextFollowUpAt: d.nextFollowUpAt,
      gradeChange: d.grade ? { from: before?.grade ?? undefined, to: d.grade } : undefined,
    };
    try {
      await this.deps.inflight.track(
        withWriteRetry(() =>
          models.Disposition.create({
            _id: d.callId,
            callId: d.callId,
            agentUsername: d.agentId,
            customerId: d.customerId,
            queueId: d.queueId,
            code: d.code,
            notes: d.notes,
            at: d.at,
            appointment: d.appointment ? { ...d.appointment, at: new Date(d.appointment.at) } : undefined,
            nextFollowUpAt: d.nextFollowUpAt ? new Date(d.nextFollowUpAt) : undefined,
            grade: d.grade,
            outbox: this.deps.sink ? { state: 'pending', event } : undefined,
          }),
        ),
      );
    } catch (err) {
      if ((err as { code?: number }).code === 11000) throw new DispositionError(`a disposition for call ${d.callId} is already recorded`, 'disposition_duplicate');
      throw err;
    }
    crashPoint('after-disposition');
    this.deps.relay?.nudge();
    // behind the call record's own writes (its end): see CallRecordWriter
    await this.deps.records.write(d.callId, { disposition: { code: d.code, notes: d.notes, agentUsername: d.agentId, at: d.at } });
    if (d.customerId) await this.updateCustomer(d, d.customerId, before);
    if (d.appointment) {
      this.deps.channel.appointment(d.appointment.consultant, { callId: d.callId, customerId: d.customerId ? String(d.customerId) : undefined, storeId: d.appointment.storeId, at: d.appointment.at, bookedBy: d.agentId, notes: d.notes });
    }
  }

  /** Refuses outcomes that name things that do not exist, before anything is written. */
  private async check(d: DispositionInput): Promise<void> {
    const a = d.appointment;
    if (a) {
      if (new Date(a.at).getTime() <= d.at.getTime()) throw new DispositionError('appointment.at must be in the future');
      const consultant = await this.deps.models.User.findOne({ username: a.consultant }, { roles: 1, storeIds: 1 }).lean();
      if (!consultant) throw new DispositionError(`appointment.consultant: no user "${a.consultant}"`);
      if (!consultant.roles.includes('sales_consultant')) throw new DispositionError(`appointment.consultant: "${a.consultant}" is not a sales consultant`);
      if (!consultant.storeIds.includes(a.storeId)) throw new DispositionError(`appointment.consultant: "${a.consultant}" does not work at store ${a.storeId}`);
    }
    if ((a || d.grade || d.nextFollowUpAt) && !d.customerId) throw new DispositionError('appointment, grade and next follow-up need a known customer; this caller is not in the CRM');
  }

  /**
   * Adds the outcome to the customer's funnel and to the call's entry in their history (written when
   * the conversation ended), in one update of the customer.
   */
  private async updateCustomer(d: DispositionInput, customerId: Types.ObjectId, before: { grade?: string | null; phones?: string[]; recentCalls?: PastCallDoc[] } | null): Promise<void> {
    const { Customer } = this.deps.models;
    const events: Record<string, unknown>[] = [{ at: d.at, kind: 'call', note: `${d.code}${d.notes ? `: ${d.notes}` : ''}` }];
    if (d.grade && d.grade !== before?.grade) events.push({ at: d.at, kind: 'grade_change', grade: d.grade, note: `${before?.grade ?? '?'}→${d.grade}` });
    if (d.appointment) events.push({ at: new Date(d.appointment.at), kind: 'appointment', storeId: d.appointment.storeId, note: `预约到店 · 顾问 ${d.appointment.consultant}` });
    const recent = [...(before?.recentCalls ?? [])];
    const entry = recent.find((c) => c.callId === d.callId);
    if (entry) Object.assign(entry, { disposition: d.code, notes: d.notes || undefined });
    else recent.push({ callId: d.callId, at: d.at, direction: d.queueId.startsWith('campaign:') ? 'outbound' : 'inbound', outcome: 'answered', agent: d.agentId, disposition: d.code, notes: d.notes || undefined });
    const set: Record<string, unknown> = { recentCalls: recent };
    if (d.grade) set.grade = d.grade;
    if (d.nextFollowUpAt) set.nextFollowUpAt = new Date(d.nextFollowUpAt);
    await this.deps.inflight.track(withWriteRetry(() => Customer.updateOne({ _id: customerId }, { $push: { funnel: { $each: events } }, $set: set }).exec()));
    await this.deps.customers.invalidate(customerId, before?.phones ?? []);
  }
}

interface PastCallDoc {
  callId?: string | null;
  at?: Date | null;
  direction?: string | null;
  outcome?: string | null;
  agent?: string | null;
  disposition?: string | null;
  notes?: string | null;
}
