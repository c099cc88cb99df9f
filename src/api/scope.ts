import type { Principal } from '../auth/principals';
import type { Role } from '../store/models';
import { HttpError } from './http-kit';

/** Who is asking and which stores they may see and change (admins: every store), from the user record. */
export interface Scope {
  username: string;
  roles: Role[];
  storeIds: string[];
  admin: boolean;
}

export function scopeOf(p: Principal): Scope {
  return { username: p.username, roles: p.roles, storeIds: p.storeIds, admin: p.roles.includes('admin') };
}

export function canSeeStore(scope: Scope, storeId: string | null | undefined): boolean {
  return scope.admin || (storeId !== undefined && storeId !== null && scope.storeIds.includes(storeId));
}

/** 404 rather than 403 for another store's things: their existence is not this user's business. */
export function requireStore(scope: Scope, storeId: string | null | undefined, what: string): void {
  if (!canSeeStore(scope, storeId)) throw new HttpError(404, `no ${what} in your stores`);
}

/** A MongoDB filter on a store field limited to the caller's stores (nothing for admins). */
export function storeFilter(scope: Scope, field: string): Record<string, unknown> {
  return scope.admin ? {} : { [field]: { $in: scope.storeIds } };
}
