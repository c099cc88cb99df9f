import fs from 'node:fs';
import path from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { Types } from 'mongoose';
import { z } from 'zod';
import type { AccountEvents } from '../auth/account-events';
import { bearerToken, checkAccess } from '../auth/access';
import type { LoginLimiter } from '../auth/login-limiter';
import type { Principals } from '../auth/principals';
import type { RefreshTokens } from '../auth/refresh-tokens';
import type { TokenSigner } from '../auth/tokens';
import type { CustomerDirectory } from '../crm/screen-pop';
import type { CampaignRunner } from '../dialer/campaign-runner';
import type { DoNotCall } from '../dialer/dnc';
import type { Logger } from '../log';
import type { Models } from '../store/models';
import type { SimSwitch } from '../telephony/sim/sim-switch';
import { adminRoutes, type AdminDeps } from './admin-routes';
import { authRoutes } from './auth-routes';
import { campaignRoutes } from './campaign-routes';
import type { Readiness } from './health';
import { HttpError } from './http-kit';
import { leadRoutes } from './lead-routes';
import { leadUploadRoutes } from './lead-upload-routes';
import { reportRoutes } from './report-routes';
import { LeadUploads } from '../dialer/lead-uploads';
import { buildApiDocument, type ApiDocument } from './openapi';
import { ok, RouteRegistry } from './route-registry';
import { canSeeStore, requireStore } from './scope';
import { CustomerCardView, IsoDate } from './schemas';
import { deskRoutes, type DeskDeps } from './desk-routes';
import { userRoutes } from './user-routes';
import { simRoutes } from './sim-routes';
import type { Clock } from '../clock/clock';
import { isTransient } from '../store/retry';

export interface HttpDeps extends AdminDeps {
  models: Models;
  campaigns: CampaignRunner;
  dnc: DoNotCall;
  crm: CustomerDirectory;
  tokens: TokenSigner;
  refresh: RefreshTokens;
  limiter: LoginLimiter;
  principals: Principals;
  accounts: AccountEvents;
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
  /** Agents' phones register with these (digest realm; the WSS address browsers use; AUTH_SECRET). */
  sip: { realm: string; wsUri: string | undefined; secret: string };
  /** Check every JSON response against its documented schema (outside production). */
  checkResponses: boolean;
  /** Routes of modules that bring their own (the in-car assistant). */
  extraRoutes?: ((registry: RouteRegistry) => void)[];
  log: Logger;
}

const PartState = z.enum(['up', 'down']);
const ReadinessView = z.object({
  ready: z.boolean(),
  instance: z.string().optional().meta({ description: "this instance's id (the owner written on the calls it runs)" }),
  role: z.enum(['leader', 'member']).optional().meta({ description: "leader: this instance also runs the deployment's upkeep (sweeper of dead instances' calls, reconciler, outbox relay); member: it takes calls and desks" }),
  redis: PartState,
  mongodb: PartState,
  switch: PartState,
  switchParts: z.record(z.string(), PartState).optional().meta({ description: "the switch's own parts (drachtio-server, FreeSWITCH) with their addresses" }),
});
const CallRecordView = z
  .looseObject({ callId: z.string(), direction: z.enum(['inbound', 'outbound']), from: z.string(), to: z.string(), status: z.string(), offeredAt: IsoDate, queueId: z.string().optional(), agentUsername: z.string().optional(), outcome: z.string().optional() })
  .meta({ id: 'CallRecord', description: 'the call record with IVR path, recording, transfer, hold and disposition' });

export function createHttpApp(deps: HttpDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // every body the document allows fits (the largest, a DNC list of 10,000 numbers, is about 330 kB)
  app.use(express.json({ limit: '1mb' }));

  const registry = new RouteRegistry({
    checkResponses: deps.checkResponses,
    log: deps.log,
    authenticate: async (req: Request) => {
      const r = await checkAccess(deps.tokens, deps.principals, bearerToken(req.header('authorization')));
      if (!r.ok) throw new HttpError(401, r.error, r.code);
      return r.principal;
    },
  });

  registry.add({
    method: 'get',
    path: '/healthz',
    tag: 'health',
    summary: 'The process is alive',
    access: 'public',
    responses: { 200: { description: 'alive', schema: z.object({ status: z.literal('ok'), uptimeSeconds: z.number().int() }) } },
    handler: () => ok({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) }),
  });

  registry.add({
    method: 'get',
    path: '/readyz',
    tag: 'health',
    summary: 'Ready: Redis, MongoDB and the switch connected (503 naming what is down otherwise)',
    access: 'public',
    responses: { 200: { description: 'ready', schema: ReadinessView }, 503: { description: 'a part is down', schema: ReadinessView } },
    handler: async () => {
      const r = await deps.readiness();
      return { status: r.ready ? 200 : 503, body: r };
    },
  });

  registry.add({
    method: 'get',
    path: '/metrics',
    tag: 'health',
    summary: 'Prometheus metrics (text format); needs Authorization: Bearer <METRICS_TOKEN>',
    access: 'public',
    responses: { 200: { description: 'metrics', contentType: 'text/plain' }, 401: { description: 'no or wrong scrape token' }, 404: { description: 'metrics are off (no METRICS_TOKEN)' } },
    handler: async ({ req, res }) => {
      const token = deps.metrics.token;
      if (!token) throw new HttpError(404, 'metrics are off: set METRICS_TOKEN');
      const given = Buffer.from(bearerToken(req.header('authorization')) ?? '');
      const wanted = Buffer.from(token);
      if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) throw new HttpError(401, 'metrics need the scrape token (Authorization: Bearer <METRICS_TOKEN>)');
      res.type(deps.metrics.contentType).send(await deps.metrics.render());
      return undefined;
    },
  });

  authRoutes(registry, deps);

  registry.add({
    method: 'get',
    path: '/api/calls/:callId',
    tag: 'calls',
    summary: "A call record (the caller's own calls; or calls of their stores' queues)",
    access: ['agent', 'sales_consultant', 'supervisor', 'manager', 'admin'],
    params: z.object({ callId: z.string().min(1).max(100) }),
    responses: { 200: { description: 'the call record', schema: CallRecordView }, 404: { description: "no such call in the caller's stores" } },
    handler: async ({ scope, params }) => {
      const record = await deps.models.CallRecord.findById(params.callId, { _id: 0, __v: 0 }).lean();
      if (!record) throw new HttpError(404, `no call ${params.callId}`);
      // Agents see their own calls; others, the calls of their stores' queues.
      if (record.agentUsername !== scope.username) requireStore(scope, deps.queueDirectory.get(record.queueId ?? '')?.storeId, `call ${params.callId}`);
      return ok(record);
    },
  });

  registry.add({
    method: 'get',
    path: '/api/customers/:customerId',
    tag: 'calls',
    summary: "A customer's card with funnel history and last calls (owner, or staff of the owning store)",
    access: ['agent', 'sales_consultant', 'supervisor', 'manager', 'admin'],
    params: z.object({ customerId: z.string().regex(/^[0-9a-f]{24}$/, 'not a customer id') }),
    responses: { 200: { description: 'card', schema: CustomerCardView }, 404: { description: "no such customer in the caller's stores" } },
    handler: async ({ scope, params }) => {
      const card = await deps.crm.card(new Types.ObjectId(params.customerId));
      if (!card || (card.owningUser !== scope.username && !canSeeStore(scope, card.owningStoreId))) throw new HttpError(404, `no customer ${params.customerId} in your stores`);
      return ok(card);
    },
  });

  const softphone = deps.sip.wsUri ? 'webrtc' : deps.sim ? 'sim' : 'none';
  deskRoutes(registry, { ...deps.desk, models: deps.models, campaigns: deps.campaigns, crm: deps.crm, queueDirectory: deps.queueDirectory, softphone });
  adminRoutes(registry, deps);
  userRoutes(registry, { models: deps.models, accounts: deps.accounts, sipSecret: deps.sip.secret, reloadRouting: deps.reloadRouting });
  leadRoutes(registry, deps.models);
  campaignRoutes(registry, { models: deps.models, runner: deps.campaigns, dnc: deps.dnc });
  reportRoutes(registry, { models: deps.models, queueDirectory: deps.queueDirectory });
  leadUploadRoutes(registry, { models: deps.models, uploads: new LeadUploads({ models: deps.models, log: deps.log.child({ module: 'lead-uploads' }) }) });

  simRoutes(registry, deps.sim, deps.clock);
  for (const add of deps.extraRoutes ?? []) add(registry);

  let doc: ApiDocument | undefined;
  const document = (): ApiDocument => (doc ??= buildApiDocument(registry.routes));
  const docRoute = (p: string, summary: string, type: string, pick: (d: ApiDocument) => string): void =>
    registry.add({
      method: 'get',
      path: p,
      tag: 'docs',
      summary,
      access: 'public',
      responses: { 200: { description: summary, contentType: type } },
      handler: ({ res }) => {
        res.type(type).send(pick(document()));
        return undefined;
      },
    });
  docRoute('/api/docs', 'This API as a page', 'text/html', (d) => d.page);
  docRoute('/api/docs/openapi.json', 'This API as OpenAPI 3.1 (JSON), generated from the schemas that validate the requests', 'application/json', (d) => d.json);
  docRoute('/api/docs/openapi.yaml', 'The same as YAML', 'application/yaml', (d) => d.yaml);

  registry.mount(app);
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
    const e = err as { type?: string; status?: number; message?: string };
    const known =
      err instanceof HttpError
        ? err
        : e.type === 'entity.parse.failed'
          ? new HttpError(400, `request body is not valid JSON: ${e.message ?? ''}`)
          : e.type === 'entity.too.large'
            ? new HttpError(413, 'request body too large')
            : e.type === 'encoding.unsupported' || e.type === 'charset.unsupported'
              ? new HttpError(415, e.message ?? 'unsupported body encoding')
              : isTransient(err)
                ? new HttpError(503, 'the database is unreachable just now; try again in a moment', 'unavailable', { 'Retry-After': '5' })
                : undefined;
    if (known) {
      res.status(known.status).set(known.headers).json(known.body());
      return;
    }
    deps.log.error({ err }, 'request failed');
    res.status(500).json({ error: 'internal error', code: 'internal' });
  });
  return app;
}

export function agentUiDir(projectRoot: string): string {
  return path.join(projectRoot, 'agent-ui', 'dist');
}
