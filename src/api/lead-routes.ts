import type express from 'express';
import { z } from 'zod';
import { importDefeatedFromCrm, importLeadsCsv, LeadImportError } from '../dialer/lead-import';
import type { Models, Role } from '../store/models';
import { HttpError, parseBody, type authMiddleware } from './http-kit';

type Guard = ReturnType<ReturnType<typeof authMiddleware>>;

const crmImport = z.strictObject({ storeIds: z.array(z.string().min(1)).optional(), grades: z.array(z.enum(['A', 'B', 'C', 'H', 'O', 'F'])).optional() });
const LIST_ID = /^[a-z0-9][a-z0-9-]{0,59}$/;

/** Lead lists for outbound campaigns: CSV import (streamed from the request body) and defeated leads from the CRM. */
export function leadRoutes(app: express.Express, models: Models, requireAuth: (...roles: Role[]) => Guard): void {
  app.post('/api/lead-lists/:listId/import', requireAuth('manager', 'admin'), async (req, res) => {
    const listId = String(req.params.listId);
    if (!LIST_ID.test(listId)) throw new HttpError(400, 'listId: lower-case letters, digits and - (max 60)');
    const type = req.header('content-type') ?? '';
    if (!/^text\/csv\b/.test(type)) throw new HttpError(415, 'send the list as text/csv (UTF-8), a header line first');
    try {
      const report = await importLeadsCsv(models, listId, req);
      res.status(report.accepted > 0 || report.rejectedTotal === 0 ? 200 : 422).json({ listId, ...report });
    } catch (err) {
      if (err instanceof LeadImportError) throw new HttpError(400, err.message);
      throw err;
    }
  });

  app.post('/api/lead-lists/:listId/import-crm', requireAuth('manager', 'admin'), async (req, res) => {
    const listId = String(req.params.listId);
    if (!LIST_ID.test(listId)) throw new HttpError(400, 'listId: lower-case letters, digits and - (max 60)');
    const filter = parseBody(crmImport, req.body ?? {});
    res.json({ listId, accepted: await importDefeatedFromCrm(models, listId, filter) });
  });
}
