import type { LoginAnswer } from '@shared/desk-api';
import { ApiFailure, Api } from './api';

const KEY = 'dcc.session';

export interface StoredSession {
  /** The short-lived access token (Authorization: Bearer). */
  token: string;
  expiresAt: number;
  /** When, on this browser's clock, the access token should be renewed by (received + its lifetime). */
  renewBy: number;
  /** One-use token that buys the next access token before this one expires. */
  refreshToken: string;
  refreshExpiresAt: number;
  username: string;
}

/** The session lives in sessionStorage: a reload keeps the desk, a closed tab logs out. */
export function loadSession(now = Date.now()): StoredSession | undefined {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return undefined;
    const s = JSON.parse(raw) as Partial<StoredSession>;
    if (!s.token || !s.refreshToken || !s.username || !s.expiresAt || !s.renewBy || !s.refreshExpiresAt) return undefined;
    return s.refreshExpiresAt > now ? (s as StoredSession) : undefined;
  } catch {
    return undefined;
  }
}

export function saveSession(s: StoredSession | undefined): void {
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
}

function fromAnswer(answer: LoginAnswer | undefined): StoredSession {
  if (!answer?.token || !answer.refreshToken) throw new ApiFailure(500, 'internal', 'no token in the answer');
  return { token: answer.token, expiresAt: answer.expiresAt, renewBy: Date.now() + answer.expiresInMs, refreshToken: answer.refreshToken, refreshExpiresAt: answer.refreshExpiresAt, username: answer.user.username };
}

/** POST /api/auth/login; a 401 is the wrong password (code 'unauthorized'). */
export async function logIn(username: string, password: string): Promise<StoredSession> {
  return fromAnswer(await new Api(() => undefined).post<LoginAnswer>('/api/auth/login', { username, password }));
}

/** POST /api/auth/refresh: a new access token and a new (one-use) refresh token. */
export async function refreshSession(s: StoredSession): Promise<StoredSession> {
  return fromAnswer(await new Api(() => undefined).post<LoginAnswer>('/api/auth/refresh', { refreshToken: s.refreshToken }));
}

/** POST /api/auth/logout: every token of the user stops working and their other desks are ended. */
export async function logOut(s: StoredSession): Promise<void> {
  await new Api(() => s.token).post('/api/auth/logout', { refreshToken: s.refreshToken });
}
