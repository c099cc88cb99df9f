import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiFailure } from './api';
import type { StoredSession } from './session';
import { SessionKeeper } from './session-keeper';

const start = 1_000_000;
const session = (n: number, expiresAt: number): StoredSession => ({ token: `access-${n}`, expiresAt, renewBy: expiresAt, refreshToken: `refresh-${n}`, refreshExpiresAt: expiresAt + 12 * 3600_000, username: 'agent1' });

describe('the session keeper', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(start);
  });
  afterEach(() => vi.useRealTimers());

  it('buys a new access token a minute before the old one runs out, and keeps doing so', async () => {
    let n = 0;
    const refresh = vi.fn(async (s: StoredSession) => {
      expect(s.refreshToken).toBe(`refresh-${n}`); // each refresh token used once
      n++;
      return session(n, Date.now() + 15 * 60_000);
    });
    const keeper = new SessionKeeper(session(0, start + 15 * 60_000), () => undefined, refresh);
    keeper.start();
    await vi.advanceTimersByTimeAsync(14 * 60_000 - 1);
    expect(refresh).not.toHaveBeenCalled();
    expect(keeper.current().token).toBe('access-0');
    await vi.advanceTimersByTimeAsync(1);
    expect(keeper.current().token).toBe('access-1');
    await vi.advanceTimersByTimeAsync(14 * 60_000);
    expect(keeper.current().token).toBe('access-2');
    keeper.stop();
  });

  it('goes by the lifetime the server gave, not by the clocks: a token already past its time is renewed at once, never in a loop', async () => {
    const refresh = vi.fn(async () => session(1, Date.now() + 15 * 60_000));
    const keeper = new SessionKeeper(session(0, start - 60_000), () => undefined, refresh);
    keeper.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(refresh).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(refresh).toHaveBeenCalledTimes(1);
    keeper.stop();
  });

  it('a refresh the server refuses ends the session, saying why; a server away for a moment is tried again', async () => {
    const lost = vi.fn();
    let calls = 0;
    const refresh = vi.fn(async () => {
      calls++;
      if (calls === 1) throw new ApiFailure(0, 'network', 'failed to fetch');
      throw new ApiFailure(403, 'account_disabled', 'this account is disabled');
    });
    const keeper = new SessionKeeper(session(0, start + 2 * 60_000), lost, refresh);
    keeper.start();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(lost).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(lost).toHaveBeenCalledWith(expect.objectContaining({ code: 'account_disabled' }));
    await vi.advanceTimersByTimeAsync(60 * 60_000);
    expect(refresh).toHaveBeenCalledTimes(2);
  });
});
