import type { Types } from 'mongoose';
import type { Models } from '../store/models';

export class DispositionError extends Error {}

export interface DispositionInput {
  callId: string;
  agentId: string;
  code: string;
  notes: string;
  at: Date;
  customerId: Types.ObjectId | undefined;
  queueId: string;
}

/** Writes an agent's outcome for a call once: the Disposition document and its copy on the call record. */
export async function writeDisposition(models: Models, d: DispositionInput): Promise<void> {
  try {
    await models.Disposition.create({ _id: d.callId, callId: d.callId, agentUsername: d.agentId, customerId: d.customerId, queueId: d.queueId, code: d.code, notes: d.notes, at: d.at });
  } catch (err) {
    if ((err as { code?: number }).code === 11000) throw new DispositionError(`a disposition for call ${d.callId} is already recorded`);
    throw err;
  }
  await models.CallRecord.updateOne({ _id: d.callId }, { $set: { disposition: { code: d.code, notes: d.notes, agentUsername: d.agentId, at: d.at } } });
}
