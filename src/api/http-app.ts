import path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { verifyPassword } from '../auth/passwords';
import type { TokenSigner } from '../auth/tokens';
import type { Logger } from '../log';
import type { Models } from '../store/models';
import type { SimSwitch } from '../telephony/sim/sim-switch';
import type { Readiness } from './health';
import { timingSafeEqual } from 'node:crypto';
import { Types } from 'mongoose';
import type { CustomerDirectory } from '../crm/screen-pop';
import type { CampaignRunner } from '../dialer/campaign-runner';
import type { DoNotCall } from '../dialer/dnc';
import { adminRoutes, type AdminDeps } from './admin-routes';
import { campaignRoutes } from './campaign-routes';
import { leadRoutes } from './lead-routes';
import { authMiddleware, HttpError, parseBody, type Authed } from './http-kit';
import { docsPage, openApiFile } from './openapi';
import { canSeeStore, requireStore, scopeMiddleware, type Scoped } from './scope';
import { sipPasswordFor } from '../telephony/freeswitch/digest-auth';
import { simRoutes } from './sim-routes';
import type { Clock } from '../clock/clock';
import { isTransient } from '../store/retry';
import { deskRoutes, type DeskDeps } from './desk-routes';
import fs from 'node:fs';

export interface HttpDeps extends AdminDeps {
  models: Models;
  campaigns: CampaignRunner;
  dnc: DoNotCall;
  crm: CustomerDirectory;
  projectRoot: string;
  tokens: TokenSigner;
  readiness: () => Promise<Readiness>;
  /** GET /metrics (Prometheus text), for whoever holds the scrape token. */
  metrics: { render: () => Promise<string>; contentType: string; token: string | undefined };
  /** Present when the simulated switch runs: lets a user place a simulated inbound call. */
  sim: SimSwitch | undefined;
  /** The app's clock (simulated callers' scripts run on it). */
  clock: Clock;
  /** The built web app (agent-ui/dist): static files, and index.html for its routes. */
  agentUiDir: string;
  /** What the desk's routes need beyond the above (desk-routes.ts). */
  desk: Pick<DeskDeps, 'clock' | 'agents' | 'notReadyReasons'>;
  /** Agents' phones register with these (digest realm; the WSS address browsers use). */
  sip: { realm: string; wsUri: string | undefined; secret: string };
  log: Logger;
}

const loginSchema = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(200) });

export function createHttpApp(deps: HttpDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '256kb' }));

  const requireAuth = authMiddleware(deps.tokens);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) });
  });

  app.get('/readyz', async (_req, res) => {
    const r = await deps.readiness();
    res.status(r.ready ? 200 : 503).json(r);
  });

  app.get('/metrics', async (req, res) => {
    const token = deps.metrics.token;
    if (!token) throw new HttpError(404, 'metrics are off: set METRICS_TOKEN');
    const given = Buffer.from(/^bearer (.+)$/i.exec(req.header('authorization') ?? '')?.[1] ?? '');
    const wanted = Buffer.from(token);
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) throw new HttpError(401, 'metrics need the scrape token (Authorization: Bearer <METRICS_TOKEN>)');
    res.type(deps.metrics.contentType).send(await deps.metrics.render());
  });

  app.post('/api/auth/login', async (req, res) => {
    const { username, password } = parseBody(loginSchema, req.body);
    const user = await deps.models.User.findOne({ username }).lean();
    if (!user || !(await verifyPassword(password, user.passwordHash))) throw new HttpError(401, 'wrong username or password');
    const { token, expiresAt } = deps.tokens.issue(user.username, user.roles);
    res.json({ token, expiresAt, user: { username: user.username, displayName: user.displayName, roles: user.roles, queueIds: user.queueIds } });
  });

  app.get('/api/me/sip', requireAuth('agent', 'sales_consultant', 'supervisor', 'manager', 'admin'), (req, res) => {
    const username = (req as Authed).claims.sub;
    res.json({ username, password: sipPasswordFor(username, deps.sip.secret), realm: deps.sip.realm, wsUri: deps.sip.wsUri ?? null });
  });

  const scope = scopeMiddleware(deps.models);
  const softphone = deps.sip.wsUri ? 'webrtc' : deps.sim ? 'sim' : 'none';
  deskRoutes(app, { ...deps.desk, models: deps.models, campaigns: deps.campaigns, crm: deps.crm, queueDirectory: deps.queueDirectory, softphone }, requireAuth, scope);

  app.get('/api/calls/:callId', requireAuth('agent', 'sales_consultant', 'supervisor', 'manager', 'admin'), scope, async (req, res) => {
    const s = (req as Scoped).scope;
    const record = await deps.models.CallRecord.findById(req.params.callId, { _id: 0, __v: 0 }).lean();
    if (!record) throw new HttpError(404, `no call ${req.params.callId}`);
    // Agents see their own calls; others, the calls of their stores' queues.
    const own = record.agentUsername === s.username;
    if (!own) requireStore(s, deps.queueDirectory.get(record.queueId ?? '')?.storeId, `call ${req.params.callId}`);
    res.json(record);
  });

  app.get('/api/customers/:customerId', requireAuth('agent', 'sales_consultant', 'supervisor', 'manager', 'admin'), scope, async (req, res) => {
    const s = (req as Scoped).scope;
    const id = String(req.params.customerId);
    if (!Types.ObjectId.isValid(id)) throw new HttpError(400, 'customerId: not a customer id');
    const card = await deps.crm.card(new Types.ObjectId(id));
    if (!card || (card.owningUser !== s.username && !canSeeStore(s, card.owningStoreId))) throw new HttpError(404, `no customer ${id} in your stores`);
    res.json(card);
  });

  adminRoutes(app, deps, requireAuth, scope);
  leadRoutes(app, deps.models, requireAuth);
  campaignRoutes(app, { models: deps.models, runner: deps.campaigns, dnc: deps.dnc }, requireAuth, scope);

  app.get('/api/docs', (_req, res) => {
    res.type('text/html').send(docsPage(deps.projectRoot));
  });
  app.get('/api/docs/openapi.yaml', (_req, res) => {
    res.type('application/yaml').sendFile(openApiFile(deps.projectRoot));
  });

  simRoutes(app, deps.sim, deps.clock, requireAuth);

  app.use('/api', (_req, _res, next) => next(new HttpError(404, 'no such API route')));
  // The web app: hashed assets cached for good, index.html for every route of the SPA (/desk, …).
  app.use('/assets', express.static(path.join(deps.agentUiDir, 'assets'), { immutable: true, maxAge: '365d', fallthrough: false }));
  app.use(express.static(deps.agentUiDir, { index: false }));
  app.get(/^\/(?!api\/|socket\.io\/).*/, (_req, res) => {
    const index = path.join(deps.agentUiDir, 'index.html');
    if (!fs.existsSync(index)) {
      res.status(503).type('text/plain').send('The web app is not built: npm start (or npm test) builds agent-ui/ into agent-ui/dist.');
      return;
    }
    res.set('Cache-Control', 'no-cache').sendFile(index);
  });

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    if (err instanceof HttpError) {
      res.status(err.status).json({ error: err.message });
      return;
    }
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === 'entity.parse.failed') {
      res.status(400).json({ error: `request body is not valid JSON: ${e.message ?? ''}` });
      return;
    }
    if (e.type === 'entity.too.large') {
      res.status(413).json({ error: 'request body too large' });
      return;
    }
    if (isTransient(err)) {
      res.status(503).set('Retry-After', '5').json({ error: 'the database is unreachable just now; try again in a moment', code: 'unavailable' });
      return;
    }
    deps.log.error({ err }, 'request failed');
    res.status(500).json({ error: 'internal error' });
  });
  return app;
}

export function agentUiDir(projectRoot: string): string {
  return path.join(projectRoot, 'agent-ui', 'dist');
}
