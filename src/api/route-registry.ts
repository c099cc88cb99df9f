import type express from 'express';
import type { NextFunction, Request, Response } from 'express';
import type { z } from 'zod';
import type { Principal } from '../auth/principals';
import type { Logger } from '../log';
import type { Role } from '../store/models';
import { HttpError, parseWith, validationError, zodMessage } from './http-kit';
import { scopeOf, type Scope } from './scope';

/**
 * One list of routes that both serves and documents the API: each route names its method, path,
 * roles, the zod schemas of its path parameters, query and body (which validate the request) and of
 * its responses per status (which the OpenAPI document is generated from, and which are checked
 * against what the handler sends outside production). The document cannot drift from the code.
 */

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
/** public: no token; signed-in: any active user; a list: one of these roles (from the user record). */
export type Access = 'public' | 'signed-in' | readonly Role[];

export interface ResponseDoc {
  description: string;
  /** JSON body schema; for error statuses the shared error schema is used when left out. */
  schema?: z.ZodType;
  /** Default application/json; several when the route answers in more than one format. */
  contentType?: string | readonly string[];
  /** Response headers, as an object schema (each header described with .meta). */
  headers?: z.ZodObject;
}

/** The parsed value of a schema; undefined when the route has none (unknown in the registry's erased view). */
type Infer<S> = S extends z.ZodType ? z.output<S> : S extends undefined ? undefined : unknown;

export interface RouteContext<P, Q, B> {
  req: Request;
  res: Response;
  params: Infer<P>;
  query: Infer<Q>;
  body: Infer<B>;
  /** The caller (routes that are not public). */
  me: Principal;
  scope: Scope;
}

/** What a handler answers: a status and a JSON body; or nothing when it wrote the response itself. */
export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}
export const ok = (body: unknown): Reply => ({ status: 200, body });
export const created = (body: unknown): Reply => ({ status: 201, body });

export interface RouteSpec<P extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined, B extends z.ZodType | undefined = undefined> {
  method: Method;
  /** Express style: /api/users/:username */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  access: Access;
  params?: P;
  query?: Q;
  /** JSON request body; `.optional()` when it may be left out. */
  body?: B;
  /** A body that is not JSON, read by the handler as a stream (documented with this media type). */
  rawBody?: { contentType: string; description: string };
  /** Logins: refused with 429 after too many failures. */
  rateLimited?: boolean;
  /** Every status the route answers with on purpose; 400/401/403/413/415/422/429 are added from the above. */
  responses: Record<number, ResponseDoc>;
  handler: (ctx: RouteContext<P, Q, B>) => Promise<Reply | undefined> | Reply | undefined;
}

/** A route with its types erased, as the registry keeps it. */
export interface AnyRoute {
  method: Method;
  path: string;
  summary: string;
  description?: string;
  tag: string;
  access: Access;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  rawBody?: { contentType: string; description: string };
  rateLimited?: boolean;
  responses: Record<number, ResponseDoc>;
  handler: (ctx: RouteContext<unknown, unknown, unknown>) => Promise<Reply | undefined> | Reply | undefined;
}

export type Authenticate = (req: Request) => Promise<Principal>;

export interface RegistryOptions {
  authenticate: Authenticate;
  /** Check every JSON response against its documented schema (a mismatch is a 500): on outside production. */
  checkResponses: boolean;
  log: Logger;
}

export function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

export class RouteRegistry {
  readonly routes: AnyRoute[] = [];

  constructor(private readonly o: RegistryOptions) {}

  add<P extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined, B extends z.ZodType | undefined = undefined>(spec: RouteSpec<P, Q, B>): void {
    this.routes.push(spec as unknown as AnyRoute);
  }

  /** Serves every route, then answers 405 (with Allow) for the other methods of their paths. */
  mount(app: express.Express): void {
    for (const route of this.routes) app[route.method](route.path, this.handlerFor(route));
    const byPath = new Map<string, Method[]>();
    for (const r of this.routes) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r.method]);
    const known = [...byPath].map(([path, methods]) => ({ pattern: new RegExp(`^${path.replace(/:\w+/g, '[^/]+')}/?$`), allow: methods.map((m) => m.toUpperCase()).join(', ') }));
    app.use((req, _res, next) => {
      const hit = known.find((k) => k.pattern.test(req.path));
      if (!hit) return next();
      next(new HttpError(405, `this path answers ${hit.allow} only`, 'method_not_allowed', { Allow: hit.allow }));
    });
  }

  private handlerFor(route: AnyRoute) {
    return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      try {
        let me: Principal | undefined;
        if (route.access !== 'public') {
          me = await this.o.authenticate(req);
          const roles = route.access;
          if (roles !== 'signed-in' && !me.roles.some((r) => roles.includes(r))) throw new HttpError(403, `requires one of the roles: ${roles.join(', ')}`);
        }
        const params: unknown = route.params ? parseWith(route.params, req.params, 'path') : undefined;
        const query: unknown = route.query ? parseWith(route.query, { ...(req.query as Record<string, unknown>) }, 'query') : undefined;
        let body: unknown;
        if (route.body) {
          const sent = hasBody(req);
          if (sent && !req.is('application/json')) throw new HttpError(415, 'send the body as application/json');
          const r = route.body.safeParse(sent ? req.body : undefined);
          if (!r.success) throw validationError(r.error);
          body = r.data;
        }
        // no store keeps a NUL in text (PostgreSQL refuses it: a 500 on the embedded database otherwise)
        if ([params, query, body].some(hasNul)) throw new HttpError(422, 'text may not contain NUL (\\u0000) characters');
        if (route.rawBody && !req.is(route.rawBody.contentType)) throw new HttpError(415, `send the body as ${route.rawBody.contentType}`);
        const principal = me;
        const ctx: RouteContext<unknown, unknown, unknown> = {
          req,
          res,
          params,
          query,
          body,
          get me(): Principal {
            if (!principal) throw new Error(`${route.method} ${route.path} is public: no caller`);
            return principal;
          },
          get scope(): Scope {
            if (!principal) throw new Error(`${route.method} ${route.path} is public: no caller`);
            return scopeOf(principal);
          },
        };
        const reply = await route.handler(ctx);
        if (!reply) return;
        this.check(route, reply);
        res.status(reply.status);
        for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
        res.json(reply.body);
      } catch (err) {
        next(err);
      }
    };
  }

  private check(route: AnyRoute, reply: Reply): void {
    if (!this.o.checkResponses) return;
    const doc = route.responses[reply.status];
    const problem = !doc ? `status ${reply.status} is not documented` : doc.schema ? schemaProblem(doc.schema, reply.body) : undefined;
    if (!problem) return;
    this.o.log.error({ route: `${route.method} ${route.path}`, status: reply.status, problem }, 'response does not match its documented schema');
    throw new Error(`${route.method.toUpperCase()} ${route.path}: the response does not match its documentation (${problem})`);
  }
}

function schemaProblem(schema: z.ZodType, body: unknown): string | undefined {
  const r = schema.safeParse(JSON.parse(JSON.stringify(body ?? null)));
  return r.success ? undefined : zodMessage(r.error, 'response');
}

/** Express path (/api/users/:username) → OpenAPI path (/api/users/{username}). */
export function openApiPath(path: string): string {
  return path.replace(/:(\w+)/g, '{$1}');
}

/** True when a string anywhere in the value contains a NUL character. */
function hasNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(hasNul);
  if (value && typeof value === 'object') return Object.entries(value).some(([k, v]) => k.includes('\u0000') || hasNul(v));
  return false;
}
