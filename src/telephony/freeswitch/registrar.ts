import type Redis from 'ioredis';
import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { Clock } from '../../clock/clock';
import type { Registration } from './dial-target';
import { challengeHeader, checkNonce, makeNonce, parseDigest, sipPasswordFor, verifyDigest } from './digest-auth';
import { readRegister } from './register-request';

export interface RegistrarOptions {
  redis: Redis;
  ns: string;
  clock: Clock;
  log: Logger;
  realm: string;
  /** AUTH_SECRET: the nonce key and the SIP password key are derived from it (HKDF, one per purpose). */
  secret: string;
  /** The user's SIP account when they exist, are active and may have a phone; undefined otherwise. */
  sipAccount: (userId: string) => Promise<{ sipPasswordVersion: number } | undefined>;
  minExpiresSec?: number;
  maxExpiresSec?: number;
}

const NONCE_MAX_AGE_MS = 5 * 60_000;

/**
 * Agents' phones and browsers REGISTER here (through drachtio). Digest-authenticated against our
 * users; bindings live in Redis with the expiry the phone was granted, so every app instance can
 * reach an agent and a binding nobody refreshes disappears by itself.
 */
export class Registrar {
  private readonly minExpires: number;
  private readonly maxExpires: number;

  constructor(private readonly o: RegistrarOptions) {
    this.minExpires = o.minExpiresSec ?? 60;
    this.maxExpires = o.maxExpiresSec ?? 3600;
  }

  private key(userId: string): string {
    return `${this.o.ns}:sip:reg:${userId}`;
  }

  async lookup(userId: string): Promise<Registration | undefined> {
    const raw = await this.o.redis.get(this.key(userId));
    return raw ? (JSON.parse(raw) as Registration) : undefined;
  }

  /**
   * Checks the request's digest credentials. Resolves with the user when they are good; otherwise it
   * has already answered (401/407 with a challenge, 403) and resolves undefined.
   */
  async authenticate(req: Srf.SrfRequest, res: Srf.SrfResponse, proxy: boolean): Promise<string | undefined> {
    const now = this.o.clock.now();
    const creds = parseDigest(req.get(proxy ? 'Proxy-Authorization' : 'Authorization'));
    const status = proxy ? 407 : 401;
    const challengeName = proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate';
    const challenge = (stale: boolean): void => res.send(status, { headers: { [challengeName]: challengeHeader(this.o.realm, makeNonce(this.o.secret, now), stale) } });
    if (!creds || creds.realm !== this.o.realm) {
      challenge(false);
      return undefined;
    }
    const nonce = checkNonce(creds.nonce, this.o.secret, now, NONCE_MAX_AGE_MS);
    if (nonce !== 'ok') {
      challenge(nonce === 'stale');
      return undefined;
    }
    const account = await this.o.sipAccount(creds.username);
    if (!account || !verifyDigest(creds, sipPasswordFor(creds.username, this.o.secret, account.sipPasswordVersion), req.method)) {
      this.o.log.warn({ user: creds.username, from: req.source_address }, 'SIP authentication failed');
      res.send(403);
      return undefined;
    }
    return creds.username;
  }

  async onRegister(req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<void> {
    const userId = await this.authenticate(req, res, false);
    if (userId === undefined) return;
    const intent = readRegister(req.get('Contact'), req.get('Expires'), this.maxExpires);
    if (intent.kind === 'invalid') return void res.send(400, intent.reason, { headers: {} });
    if (intent.kind === 'unbind') {
      await this.o.redis.del(this.key(userId));
      this.o.log.info({ userId }, 'agent phone unregistered');
      return void res.send(200);
    }
    const current = await this.lookup(userId);
    if (intent.kind === 'query') {
      return void res.send(200, current ? { headers: { Contact: `<${current.contact}>;expires=${Math.max(0, Math.round((current.expiresAt - this.o.clock.now()) / 1000))}` } } : {});
    }
    if (intent.expiresSec < this.minExpires) return void res.send(423, 'Interval Too Brief', { headers: { 'Min-Expires': String(this.minExpires) } });
    const expiresSec = Math.min(intent.expiresSec, this.maxExpires);
    const protocol = String((req as unknown as { protocol?: string }).protocol ?? 'udp');
    const reg: Registration = {
      userId,
      contact: intent.contact,
      sourceAddress: req.source_address,
      sourcePort: Number(req.source_port) || 5060,
      protocol,
      webrtc: /^wss?$/i.test(protocol) || /transport=wss?/i.test(intent.contact),
      expiresAt: this.o.clock.now() + expiresSec * 1000,
    };
    await this.o.redis.set(this.key(userId), JSON.stringify(reg), 'PX', expiresSec * 1000);
    if (!current || current.contact !== reg.contact) this.o.log.info({ userId, contact: reg.contact, protocol }, 'agent phone registered');
    // Expires in the answer lets drachtio keep the connection of a WebSocket client for calls to it.
    res.send(200, { headers: { Contact: `<${intent.contact}>;expires=${expiresSec}`, Expires: String(expiresSec) } });
  }
}
