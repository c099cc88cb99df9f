import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { checkNonce, parseDigest, type DigestCredentials } from '../telephony/freeswitch/digest-auth';
import type { AssistModels, DeviceDoc } from './assist-models';

/**
 * Vehicle terminals: registered per VIN with their own credentials (a SIP digest secret for calls, a
 * bearer token for HTTP), bound to a member and the selling store; enabled, disabled, rotated.
 * Only hashes are kept (digest HA1, token sha256); the secrets are shown once.
 */

export const VIN_PATTERN = /^[A-HJ-NPR-Z0-9]{17}$/;

export interface DeviceCredentials {
  /** The SIP digest password (user name: the VIN). */
  sipSecret: string;
  /** Authorization: Bearer <httpToken> on the terminal's HTTP calls. */
  httpToken: string;
  version: number;
}

export type Admission = { ok: true; device: DeviceDoc } | { ok: false; status: 401 | 403; error: string };

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

export class DeviceRegistry {
  constructor(
    private readonly models: AssistModels,
    private readonly o: { realm: string; secret: string; now: () => number },
  ) {}

  /** New credentials for a VIN: what to store (hashes) and what to hand over once (secrets). */
  newCredentials(vin: string, version: number): { stored: { sipHa1: string; tokenHash: string; credentialsVersion: number }; shown: DeviceCredentials } {
    const sipSecret = randomBytes(18).toString('base64url');
    const httpToken = `${vin}.${randomBytes(24).toString('base64url')}`;
    return {
      stored: { sipHa1: md5(`${vin}:${this.o.realm}:${sipSecret}`), tokenHash: sha256(httpToken), credentialsVersion: version },
      shown: { sipSecret, httpToken, version },
    };
  }

  /** Replaces a device's credentials: the old ones stop working at once. */
  async rotate(vin: string): Promise<DeviceCredentials | undefined> {
    const d = await this.models.Device.findById(vin, { credentialsVersion: 1 }).lean();
    if (!d) return undefined;
    const c = this.newCredentials(vin, (d.credentialsVersion ?? 1) + 1);
    await this.models.Device.updateOne({ _id: vin }, { $set: c.stored });
    return c.shown;
  }

  /** An HTTP call from a terminal: 401 without a valid token, 403 for a disabled device. */
  async authenticateHttp(authorization: string | undefined): Promise<Admission> {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    const vin = token?.split('.')[0];
    if (!token || !vin || !VIN_PATTERN.test(vin)) return { ok: false, status: 401, error: 'a vehicle terminal sends Authorization: Bearer <device token>' };
    const device = await this.models.Device.findById(vin).lean();
    if (!device || !sameHash(device.tokenHash, sha256(token))) return { ok: false, status: 401, error: 'unknown device or wrong token' };
    if (!device.enabled) return { ok: false, status: 403, error: `device ${vin} is disabled` };
    return { ok: true, device };
  }

  /**
   * A call from a terminal: the VIN must name an enabled device. A digest Authorization (a terminal
   * calling directly) must match the device's secret; calls without one are taken only because the
   * switch accepts vehicle calls from the vehicle gateways' addresses alone (VEHICLE_GATEWAY_CIDRS).
   */
  async admitCall(vin: string | undefined, authorization: string | undefined, method = 'INVITE'): Promise<Admission> {
    if (!vin || !VIN_PATTERN.test(vin)) return { ok: false, status: 403, error: `not a VIN: "${(vin ?? '').slice(0, 40)}"` };
    const device = await this.models.Device.findById(vin).lean();
    if (!device) return { ok: false, status: 403, error: `unknown vehicle ${vin}` };
    if (!device.enabled) return { ok: false, status: 403, error: `vehicle ${vin} is disabled` };
    if (authorization !== undefined) {
      const creds = parseDigest(authorization);
      if (!creds || creds.username !== vin || !this.digestMatches(creds, device.sipHa1, method)) return { ok: false, status: 403, error: `wrong digest credentials for ${vin}` };
    }
    return { ok: true, device };
  }

  private digestMatches(c: DigestCredentials, ha1: string, method: string): boolean {
    if (checkNonce(c.nonce, this.o.secret, this.o.now(), 5 * 60_000) !== 'ok') return false;
    const ha2 = md5(`${method}:${c.uri}`);
    const expected = c.qop ? md5(`${ha1}:${c.nonce}:${c.nc ?? ''}:${c.cnonce ?? ''}:${c.qop}:${ha2}`) : md5(`${ha1}:${c.nonce}:${ha2}`);
    return sameHash(expected, c.response);
  }
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
