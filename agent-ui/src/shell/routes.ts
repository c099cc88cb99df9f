import { lazy, type ComponentType, type LazyExoticComponent } from 'react';
import type { RoleName } from '@shared/desk-api';

/**
 * The app's pages, one per role family, each a separate chunk: the agent desk now; the supervisors'
 * live board (/board, namespace /board) and the managers' console come next and plug in here with the
 * same shell, login and socket layer.
 */
export interface AppRoute {
  path: string;
  titleKey: string;
  roles: readonly RoleName[];
  /** socket.io namespace the page's live connection uses. */
  namespace: string;
  page: LazyExoticComponent<ComponentType>;
}

export const ROUTES: readonly AppRoute[] = [
  // supervisors land on their board (listed first); the desk stays theirs at /desk when they take calls
  { path: '/board', titleKey: 'board.title', roles: ['supervisor', 'manager', 'admin'], namespace: '/board', page: lazy(() => import('../board/BoardPage')) },
  { path: '/desk', titleKey: 'app.title', roles: ['agent', 'sales_consultant', 'supervisor'], namespace: '/agent', page: lazy(() => import('../desk/DeskPage')) },
  { path: '/console', titleKey: 'console.title', roles: ['manager', 'admin'], namespace: '/board', page: lazy(() => import('../console/ConsolePage')) },
];

/** The route for this path and these roles: the path's own when allowed, else the first the roles allow. */
export function routeFor(pathname: string, roles: readonly string[], routes: readonly AppRoute[] = ROUTES): AppRoute | undefined {
  const allowed = routes.filter((r) => r.roles.some((role) => roles.includes(role)));
  return allowed.find((r) => pathname === r.path || pathname.startsWith(`${r.path}/`)) ?? allowed[0];
}
