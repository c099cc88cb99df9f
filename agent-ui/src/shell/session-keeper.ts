import { ApiFailure } from './api';
import { refreshSession, saveSession, type StoredSession } from './session';

/** How long before its access token runs out the session is renewed. */
const RENEW_BEFORE_MS = 60_000;
/** A failed renewal (the server unreachable) is tried again after this long. */
const RETRY_MS = 5_000;

/**
 * Keeps a signed-in session alive: the access token is short-lived, so shortly before it expires the
 * one-use refresh token buys a new pair (saved for a reload). Everything that needs the token asks
 * `current()` at the moment it sends, so a renewal never restarts the page or the live connection.
 * A refresh the server refuses (revoked, account disabled) ends the session.
 */
export class SessionKeeper {
  private session: StoredSession;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(
    initial: StoredSession,
    private readonly onLost: (failure: ApiFailure) => void,
    private readonly refresh: (s: StoredSession) => Promise<StoredSession> = refreshSession,
    private readonly now: () => number = Date.now,
  ) {
    this.session = initial;
  }

  current(): StoredSession {
    return this.session;
  }

  start(): void {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** Renews now (also what the timer does). */
  async renew(): Promise<void> {
    try {
      this.session = await this.refresh(this.session);
      saveSession(this.session);
      this.schedule();
    } catch (err) {
      const failure = err instanceof ApiFailure ? err : new ApiFailure(0, 'network', String(err));
      if (failure.status === 401 || failure.status === 403) {
        this.stop();
        this.onLost(failure);
        return;
      }
      this.schedule(RETRY_MS); // the server is away for a moment: the token may still be good
    }
  }

  private schedule(inMs?: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    // renewBy is on this browser's clock (received + lifetime): right whatever the clocks say; never sooner than 1 s
    const due = inMs ?? Math.max(1000, this.session.renewBy - RENEW_BEFORE_MS - this.now());
    this.timer = setTimeout(() => {
      this.renew().catch(() => undefined); // renew() handles its own failures
    }, due);
  }
}
