import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';

/**
 * What supervisors and managers did to others, append-only: forced agent states, recording playbacks
 * and downloads. Nothing in the app updates or deletes an entry; supervisors may read the entries of
 * their stores.
 */
const auditSchema = new Schema(
  {
    at: { type: Date, required: true },
    /** Who did it (username). */
    actor: { type: String, required: true },
    action: { type: String, required: true },
    /** What it was done to: an agent's username, a call id. */
    target: { type: String, required: true },
    storeIds: { type: [String], default: [] },
    reason: String,
    /** done, or why it was refused */
    outcome: { type: String, required: true },
    details: Schema.Types.Mixed,
  },
  { versionKey: false },
);
auditSchema.index({ at: -1 });

export type AuditEntry = InferSchemaType<typeof auditSchema>;

export function bindAuditLog(conn: Connection): Model<AuditEntry> {
  return (conn.models.AuditEntry as Model<AuditEntry> | undefined) ?? conn.model('AuditEntry', auditSchema);
}
