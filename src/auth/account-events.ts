import type { ConfigBus } from '../redis/config-bus';
import type { Principals } from './principals';

export type SessionEndCode = 'session_expired' | 'account_disabled';
export interface SessionEnd {
  code: SessionEndCode;
  error: string;
}

/**
 * A user record changed (roles, stores, deactivation, logout): every instance forgets its cached
 * copy, and when the change ends the user's sessions, each instance ends the desks connected to it.
 */
export class AccountEvents {
  constructor(
    private readonly principals: Principals,
    private readonly bus: ConfigBus,
    private readonly endLocalSessions: (username: string, end: SessionEnd) => void,
  ) {}

  start(): Promise<void> {
    return this.bus.start(async (detail) => {
      if (!detail) return;
      const msg = JSON.parse(detail) as { username: string; end?: SessionEnd };
      this.apply(msg.username, msg.end);
    });
  }

  async changed(username: string, end?: SessionEnd): Promise<void> {
    this.apply(username, end);
    await this.bus.changed(JSON.stringify({ username, end }));
  }

  stop(): Promise<void> {
    return this.bus.stop();
  }

  private apply(username: string, end: SessionEnd | undefined): void {
    this.principals.forget(username);
    if (end) this.endLocalSessions(username, end);
  }
}
