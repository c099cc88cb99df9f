import type Srf from 'drachtio-srf';

/**
 * Where drachtio-srf's own typings (lib/@types, declared with `export =`, so they cannot be augmented)
 * lag its code: options read by lib/srf.js and lib/wire-protocol.js. The adapter sees Srf through
 * this view.
 */
export interface SrfConnectOptions extends Srf.SrfConfig {
  /** Keep the admin connection alive with pings (wire-protocol.js). */
  enablePing?: boolean;
  pingInterval?: number;
  /** Reconnect backoff: delays grow x1.7 up to retryMaxDelay ms. */
  reconnect?: { retryMaxDelay?: number; maxAttempts?: number };
}

export interface UacOptions extends Srf.CreateUACOptions {
  /** Builds the From header (drachtio fills in its own host). */
  callingNumber?: string;
  callingName?: string;
}

export interface SrfWithGaps {
  /**
   * Handles REGISTER. Unlike use('register', …), this also tells drachtio-server that the app takes
   * REGISTERs (srf.js creates one such method per SIP verb); without it drachtio answers 503.
   */
  register(handler: (req: Srf.SrfRequest, res: Srf.SrfResponse) => void): void;
  connect(opts: SrfConnectOptions): Promise<void>;
  createUAC(
    uri: string,
    opts: UacOptions,
    progress?: { cbRequest?: (req: Srf.SrfRequest) => void; cbProvisional?: (res: Srf.SrfResponse) => void },
  ): Promise<Srf.Dialog>;
}

export function withGaps(srf: Srf): SrfWithGaps {
  return srf as unknown as SrfWithGaps;
}
