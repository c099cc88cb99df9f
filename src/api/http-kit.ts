import type { NextFunction, Request, Response } from 'express';
import type { z } from 'zod';
import type { TokenClaims, TokenSigner } from '../auth/tokens';
import type { Role } from '../store/models';

/** A request failed for a reason the caller can fix: sent as { error } with this status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A request that passed authMiddleware. */
export type Authed = Request & { claims: TokenClaims };

export function zodMessage(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
}

export function parseBody<T extends z.ZodTypeAny>(schema: T, body: unknown): z.infer<T> {
  const r = schema.safeParse(body);
  if (!r.success) throw new HttpError(400, zodMessage(r.error));
  return r.data;
}

/**
 * `requireAuth(...roles)`: the request must carry `Authorization: Bearer <token>` (401 otherwise)
 * and, when roles are named, the token must hold one of them (403 otherwise).
 */
export function authMiddleware(tokens: TokenSigner) {
  return (...roles: Role[]) =>
    (req: Request, _res: Response, next: NextFunction): void => {
      const header = req.header('authorization') ?? '';
      const claims = header.startsWith('Bearer ') ? tokens.verify(header.slice(7)) : undefined;
      if (!claims) return next(new HttpError(401, 'missing or expired token: log in again'));
      if (roles.length > 0 && !claims.roles.some((r) => roles.includes(r))) return next(new HttpError(403, `requires one of the roles: ${roles.join(', ')}`));
      (req as Authed).claims = claims;
      next();
    };
}
