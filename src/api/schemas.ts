import { z } from 'zod';
import { ERROR_CODES } from '../shared/errors';
import { ROLES } from '../store/models';

/** Schemas shared by several routes' documentation and validation. */

export const ErrorBody = z
  .object({
    error: z.string().max(400).meta({ description: 'What went wrong, in English (at most 300 characters and a note of how much was cut)' }),
    code: z.enum(ERROR_CODES).meta({ description: 'A stable code the web app translates' }),
  })
  .meta({ id: 'Error' });

export const Role = z.enum(ROLES).meta({ id: 'Role' });
export const Username = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'user names are 1-64 letters, digits, ".", "_" or "-"');
export const StoreId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,59}$/, 'store ids are lower-case letters, digits and - (max 60)');
export const Id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,59}$/, 'lower-case letters, digits and - (max 60)');
export const IsoDate = z.string().meta({ format: 'date-time', description: 'ISO 8601 time' });
export const Ok = z.object({ ok: z.literal(true) });

/** ?page=&limit= on paginated lists. */
export const Page = z.object({
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** A customer's card as the screen-pop and GET /api/customers/:customerId show it. */
const FunnelEntry = z.object({ at: z.string(), kind: z.string(), storeId: z.string().optional(), model: z.string().optional(), grade: z.string().optional(), note: z.string().optional() });
const PastCall = z.object({ callId: z.string(), at: z.string(), direction: z.string(), outcome: z.string().optional(), agent: z.string().optional(), disposition: z.string().optional(), notes: z.string().optional() });
export const CustomerCardView = z
  .object({
    id: z.string(),
    externalId: z.string().optional(),
    name: z.string(),
    phones: z.array(z.string()),
    grade: z.string().optional(),
    status: z.string(),
    defeatReason: z.string().optional(),
    owningStoreId: z.string().optional(),
    owningUser: z.string().optional(),
    modelsConsidered: z.array(z.string()),
    funnel: z.array(FunnelEntry),
    lastCalls: z.array(PastCall),
  })
  .meta({ id: 'CustomerCard' });
