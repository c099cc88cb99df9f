import type { Request } from 'express';
import { z } from 'zod';
import type { AccountEvents } from '../auth/account-events';
import type { LoginLimiter } from '../auth/login-limiter';
import { verifyPassword } from '../auth/passwords';
import type { Principal, Principals } from '../auth/principals';
import type { RefreshTokens } from '../auth/refresh-tokens';
import type { TokenSigner } from '../auth/tokens';
import type { Models } from '../store/models';
import { sipPasswordFor } from '../telephony/freeswitch/digest-auth';
import { HttpError } from './http-kit';
import { ok, type RouteRegistry } from './route-registry';
import { Ok, Role } from './schemas';

export interface AuthDeps {
  models: Models;
  tokens: TokenSigner;
  refresh: RefreshTokens;
  limiter: LoginLimiter;
  principals: Principals;
  accounts: AccountEvents;
  /** Agents' phones: digest realm, the WSS address browsers use, and AUTH_SECRET (the SIP password key is derived from it). */
  sip: { realm: string; wsUri: string | undefined; secret: string };
}

const loginBody = z.strictObject({ username: z.string().min(1).max(64), password: z.string().min(1).max(200) });
const refreshBody = z.strictObject({ refreshToken: z.string().min(1).max(200) });
const logoutBody = z.strictObject({ refreshToken: z.string().min(1).max(200).optional() }).optional();

export const Me = z
  .object({ username: z.string(), displayName: z.string(), roles: z.array(Role), storeIds: z.array(z.string()), queueIds: z.array(z.string()) })
  .meta({ id: 'Me' });
const Session = z
  .object({
    token: z.string().meta({ description: 'access token: Authorization: Bearer <token>' }),
    expiresAt: z.number().int().meta({ description: 'when the access token expires (ms since epoch)' }),
    expiresInMs: z.number().int().meta({ description: 'how long the access token lasts from now (renew before: POST /api/auth/refresh)' }),
    refreshToken: z.string().meta({ description: 'one-use: POST /api/auth/refresh for a new pair' }),
    refreshExpiresAt: z.number().int(),
    user: Me,
  })
  .meta({ id: 'Session' });
const SipCredentials = z.object({ username: z.string(), password: z.string(), realm: z.string(), wsUri: z.string().nullable() });

/** A password check costs the same whether or not the user exists. */
const NO_SUCH_USER_HASH = 'scrypt$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export function meOf(p: Principal): z.infer<typeof Me> {
  return { username: p.username, displayName: p.displayName, roles: p.roles, storeIds: p.storeIds, queueIds: p.queueIds };
}

function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

/** Login (rate-limited), refresh, logout; the caller's own record and SIP credentials. */
export function authRoutes(r: RouteRegistry, d: AuthDeps): void {
  const session = async (p: Principal) => {
    const access = d.tokens.issue(p.username, p.tokenGeneration);
    // the lifetime as well as the instant: a client whose clock is off still renews in time
    return { ...access, expiresInMs: Math.max(0, access.expiresAt - Date.now()), ...(await d.refresh.issue(p.username, p.tokenGeneration)), user: meOf(p) };
  };

  r.add({
    method: 'post',
    path: '/api/auth/login',
    tag: 'auth',
    summary: 'Log in: a short-lived access token and a one-use refresh token',
    description: 'Failed logins are counted per user name and per client address; past the limit the answer is 429 with Retry-After. A disabled account gets 403 account_disabled.',
    access: 'public',
    body: loginBody,
    rateLimited: true,
    responses: { 200: { description: 'logged in', schema: Session }, 401: { description: 'wrong user name or password' }, 403: { description: 'the account is disabled (code account_disabled)' } },
    handler: async ({ req, body }) => {
      const address = clientAddress(req);
      const wait = await d.limiter.blockedFor(body.username, address);
      if (wait !== undefined) {
        const seconds = Math.ceil(wait / 1000);
        throw new HttpError(429, `too many failed logins: try again in ${seconds} s`, 'too_many_requests', { 'Retry-After': String(seconds) });
      }
      const user = await d.models.User.findOne({ username: body.username }, { passwordHash: 1 }).lean();
      const good = await verifyPassword(body.password, user?.passwordHash ?? NO_SUCH_USER_HASH);
      if (!user || !good) {
        await d.limiter.failed(body.username, address);
        throw new HttpError(401, 'wrong username or password');
      }
      await d.limiter.succeeded(body.username);
      d.principals.forget(body.username);
      const p = await d.principals.get(body.username);
      if (!p) throw new HttpError(401, 'wrong username or password');
      if (!p.active) throw new HttpError(403, 'this account is disabled: ask your manager', 'account_disabled');
      return ok(await session(p));
    },
  });

  r.add({
    method: 'post',
    path: '/api/auth/refresh',
    tag: 'auth',
    summary: 'Trade a refresh token for a new access token and refresh token (each refresh token works once)',
    access: 'public',
    body: refreshBody,
    responses: { 200: { description: 'a new pair', schema: Session }, 401: { description: 'unknown, used or revoked refresh token (code session_expired)' }, 403: { description: 'the account is disabled (code account_disabled)' } },
    handler: async ({ body }) => {
      const entry = await d.refresh.redeem(body.refreshToken);
      if (!entry) throw new HttpError(401, 'this refresh token is unknown, used or revoked: log in again', 'session_expired');
      const p = await d.principals.get(entry.username);
      if (!p) throw new HttpError(401, 'this account no longer exists', 'unauthorized');
      if (!p.active) throw new HttpError(403, 'this account is disabled', 'account_disabled');
      if (p.tokenGeneration !== entry.gen) throw new HttpError(401, 'this session was ended: log in again', 'session_expired');
      return ok(await session(p));
    },
  });

  r.add({
    method: 'post',
    path: '/api/auth/logout',
    tag: 'auth',
    summary: "Log out everywhere: every access and refresh token of the caller stops working and the caller's open desks are ended",
    access: 'signed-in',
    body: logoutBody,
    responses: { 200: { description: 'logged out', schema: Ok } },
    handler: async ({ me, body }) => {
      if (body?.refreshToken) await d.refresh.revoke(body.refreshToken);
      await d.models.User.updateOne({ username: me.username }, { $inc: { tokenGeneration: 1 } });
      await d.accounts.changed(me.username, { code: 'session_expired', error: 'you logged out' });
      return ok({ ok: true });
    },
  });

  r.add({
    method: 'get',
    path: '/api/me/sip',
    tag: 'auth',
    summary: "The logged-in user's SIP credentials for their softphone or desk phone (digest user, current password, realm, WSS address)",
    access: 'signed-in',
    responses: { 200: { description: 'credentials', schema: SipCredentials } },
    handler: ({ me }) => ok({ username: me.username, password: sipPasswordFor(me.username, d.sip.secret, me.sipPasswordVersion), realm: d.sip.realm, wsUri: d.sip.wsUri ?? null }),
  });
}
