import type { NextFunction, Request, Response } from 'express';
import type { Models, Role } from '../store/models';
import { HttpError, type Authed } from './http-kit';

/** Who is asking and which stores they may see and change (admins: every store). */
export interface Scope {
  username: string;
  roles: Role[];
  storeIds: string[];
  admin: boolean;
}

export type Scoped = Authed & { scope: Scope };

/** After requireAuth: loads the user's stores (the token carries roles only, stores may change). */
export function scopeMiddleware(models: Models) {
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    const { claims } = req as Authed;
    const user = await models.User.findOne({ username: claims.sub }, { storeIds: 1, roles: 1 }).lean();
    if (!user) return next(new HttpError(401, 'this account no longer exists: log in again'));
    (req as Scoped).scope = { username: claims.sub, roles: user.roles as Role[], storeIds: user.storeIds, admin: user.roles.includes('admin') };
    next();
  };
}

export function canSeeStore(scope: Scope, storeId: string | null | undefined): boolean {
  return scope.admin || (storeId !== undefined && storeId !== null && scope.storeIds.includes(storeId));
}

/** 404 rather than 403 for another store's things: their existence is not this user's business. */
export function requireStore(scope: Scope, storeId: string | null | undefined, what: string): void {
  if (!canSeeStore(scope, storeId)) throw new HttpError(404, `no ${what} in your stores`);
}
