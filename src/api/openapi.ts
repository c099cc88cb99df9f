import YAML from 'yaml';
import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type ZodOpenApiResponseObject, type ZodOpenApiResponsesObject } from 'zod-openapi';
import { ErrorBody } from './schemas';
import { openApiPath, type AnyRoute } from './route-registry';

const RetryAfterHeader = z.object({ 'Retry-After': z.string().regex(/^[0-9]+$/).meta({ description: 'seconds to wait' }) });

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'invalid request (the message names the field)',
  401: 'missing, expired or revoked token (code session_expired or account_disabled says which)',
  403: "the caller's roles do not allow this",
  404: "not found in the caller's stores",
  409: 'conflicts with the current state',
  413: 'request body too large',
  415: 'wrong content type',
  422: 'well formed but cannot be carried out (the message says why)',
  429: 'too many failed attempts: wait Retry-After seconds',
  503: 'a part the request needs is down',
};

const DESCRIPTION = `REST API of the DCC contact-center server. Every error is \`{ error, code }\` (error: English,
at most 300 characters; code: stable, translated by the web app). Log in with POST /api/auth/login: the
access token (Authorization: Bearer …) lasts AUTH_TOKEN_TTL_MS (15 min by default); renew it with the
refresh token at POST /api/auth/refresh. Roles and stores are read from the user record on every request.
The agent desktop's live connection is socket.io (namespace /agent, { token } in the handshake auth);
its events are typed in src/shared/agent-events.ts.`;

function responsesOf(route: AnyRoute): ZodOpenApiResponsesObject {
  const statuses = new Map(Object.entries(route.responses).map(([s, d]) => [Number(s), d]));
  const add = (status: number): void => {
    if (!statuses.has(status)) statuses.set(status, { description: ERROR_DESCRIPTIONS[status] ?? 'error' });
  };
  if (route.params || route.query || route.body || route.rawBody) {
    add(400);
    add(422);
  }
  if (route.access !== 'public') add(401);
  if (Array.isArray(route.access)) add(403);
  if (route.body || route.rawBody) {
    add(413);
    add(415);
  }
  if (route.rateLimited) add(429);
  // any route that reads or writes a store answers 503 while the database or Redis is unreachable
  if (route.tag !== 'docs' && route.tag !== 'health') add(503);
  const out: Record<string, ZodOpenApiResponseObject> = {};
  for (const [status, doc] of [...statuses].sort(([a], [b]) => a - b)) {
    const schema = doc.schema ?? (status >= 400 ? ErrorBody : undefined);
    const headers = doc.headers ?? (status === 429 ? RetryAfterHeader : undefined);
    out[String(status)] = {
      description: doc.description,
      ...(schema ? { content: Object.fromEntries([doc.contentType ?? 'application/json'].flat().map((t) => [t, { schema }])) } : doc.contentType ? { content: Object.fromEntries([doc.contentType].flat().map((t) => [t, {}])) } : {}),
      ...(headers ? { headers } : {}),
    };
  }
  return out as ZodOpenApiResponsesObject;
}


function operationOf(route: AnyRoute): ZodOpenApiOperationObject {
  const op: ZodOpenApiOperationObject = {
    operationId: `${route.method}${openApiPath(route.path).replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
    summary: route.summary,
    tags: [route.tag],
    security: route.access === 'public' ? [] : [{ bearer: [] }],
    responses: responsesOf(route),
    ...(route.description ? { description: route.description } : {}),
    'x-roles': route.access === 'public' ? ['public'] : route.access === 'signed-in' ? ['any signed-in user'] : [...route.access],
  };
  const params = { ...(route.params ? { path: route.params as never } : {}), ...(route.query ? { query: route.query as never } : {}) };
  if (route.params || route.query) op.requestParams = params;
  if (route.body) op.requestBody = { required: !route.body.safeParse(undefined).success, content: { 'application/json': { schema: route.body } } };
  if (route.rawBody) op.requestBody = { required: true, description: route.rawBody.description, content: { [route.rawBody.contentType]: { schema: z.string().min(1) } } };
  return op;
}

export interface ApiDocument {
  json: string;
  yaml: string;
  page: string;
}

/** The OpenAPI 3.1 document of every route, generated from the routes' zod schemas; and a page listing them. */
export function buildApiDocument(routes: readonly AnyRoute[]): ApiDocument {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of routes) {
    const p = openApiPath(route.path);
    paths[p] = { ...(paths[p] ?? {}), [route.method]: operationOf(route) };
  }
  const doc = createDocument({
    openapi: '3.1.0',
    info: { title: 'DCC 呼叫中心 API', version: '0.1.0', description: DESCRIPTION },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths,
  });
  return { json: JSON.stringify(doc), yaml: YAML.stringify(doc), page: docsPage(routes) };
}

/** /api/docs: the operations as a page (no external assets: dealer networks are often closed). */
function docsPage(routes: readonly AnyRoute[]): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const rows = routes
    .map((r) => `<tr><td><code>${r.method.toUpperCase()}</code></td><td><code>${esc(openApiPath(r.path))}</code></td><td>${esc(r.summary)}</td><td>${esc(r.access === 'public' ? 'public' : r.access === 'signed-in' ? 'any signed-in user' : r.access.join(', '))}</td></tr>`)
    .join('\n');
  return `<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>DCC 呼叫中心 API</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:70em}td{padding:.3em .6em;border-bottom:1px solid #ddd;vertical-align:top}</style>
<h1>DCC 呼叫中心 API</h1><p>接口说明 · API reference — <a href="/api/docs/openapi.json">openapi.json</a> · <a href="/api/docs/openapi.yaml">openapi.yaml</a></p>
<pre>${esc(DESCRIPTION)}</pre><table><tr><th>Method</th><th>Path</th><th>What</th><th>Roles</th></tr>${rows}</table></html>`;
}
