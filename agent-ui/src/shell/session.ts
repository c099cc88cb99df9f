import type { LoginAnswer } from '@shared/desk-api';
import { ApiFailure, Api } from './api';

const KEY = 'dcc.session';

export interface StoredSession {
  token: string;
  expiresAt: number;
  username: string;
}

/** The login token lives in sessionStorage: a reload keeps the desk, a closed tab logs out. */
export function loadSession(now = Date.now()): StoredSession | undefined {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return undefined;
    const s = JSON.parse(raw) as StoredSession;
    return s.expiresAt > now ? s : undefined;
  } catch {
    return undefined;
  }
}

export function saveSession(s: StoredSession | undefined): void {
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
}

/** POST /api/auth/login; a 401 is the wrong password (code 'unauthorized'). */
export async function logIn(username: string, password: string): Promise<StoredSession> {
  const answer = await new Api(() => undefined).post<LoginAnswer>('/api/auth/login', { username, password });
  if (!answer?.token) throw new ApiFailure(500, 'internal', 'no token in the answer');
  return { token: answer.token, expiresAt: answer.expiresAt, username: answer.user.username };
}
