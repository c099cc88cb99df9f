/**
 * The part of drachtio-fsmrf 4.x this project uses (the package ships no typings). Written from its
 * lib/mrf.js, lib/mediaserver.js and lib/endpoint.js; every method used here returns a promise when
 * called without a callback.
 */
declare module 'drachtio-fsmrf' {
  import type { EventEmitter } from 'node:events';
  import type Srf from 'drachtio-srf';

  namespace Mrf {
    /** An event socket event (drachtio-modesl Event). */
    interface EslEvent {
      getHeader(name: string): string | undefined;
      getBody(): string;
      getType(): string;
    }

    interface ConnectOptions {
      address: string;
      port?: number;
      secret?: string;
      /** Where FreeSWITCH's outbound event socket connects back to this process. */
      listenAddress?: string;
      listenPort?: number;
      advertisedAddress?: string;
      advertisedPort?: number;
      /** The sofia profile fsmrf sends INVITEs to (default drachtio_mrf). */
      profile?: string;
    }

    interface EndpointOptions {
      /** The far end's SDP; without it the endpoint is created 3PCC (its own SDP is an offer). */
      remoteSdp?: string;
      codecs?: string | string[];
      headers?: Record<string, string>;
      dtls?: boolean;
      srtp?: boolean;
      family?: 'ipv4' | 'ipv6';
    }

    interface PlaybackResult {
      playbackSeconds?: string;
      playbackMilliseconds?: string;
    }

    interface DtmfEvent {
      dtmf: string;
      duration?: string;
      source?: string;
    }

    /** The endpoint's own (outbound) event socket connection (drachtio-modesl Connection). */
    interface EslConnection {
      subscribe(events: string | string[]): void;
      on(event: string, listener: (evt: EslEvent) => void): this;
      removeListener(event: string, listener: (evt: EslEvent) => void): this;
    }

    class Endpoint extends EventEmitter {
      readonly uuid: string;
      readonly conn: EslConnection;
      readonly local: { sdp: string; mediaIp?: string; mediaPort?: string };
      readonly remote: { sdp: string; mediaIp?: string; mediaPort?: string };
      readonly dialog: Srf.Dialog;
      /** False once the channel is hung up or its event socket closed. */
      readonly connected: boolean;
      play(file: string | string[]): Promise<PlaybackResult>;
      /** Runs an API command; resolves with the response event (its body says +OK or -ERR ...). */
      api(command: string, args?: string | string[]): Promise<EslEvent>;
      /** Runs a dialplan application on the channel; resolves with CHANNEL_EXECUTE_COMPLETE. */
      execute(app: string, arg?: string): Promise<EslEvent>;
      modify(sdp: string): Promise<unknown>;
      bridge(other: Endpoint | string): Promise<void>;
      unbridge(): Promise<void>;
      /** Runs the conference application (room@profile+flags{...}); resolves once FreeSWITCH adds the member. */
      join(conference: string, opts?: { profile?: string; flags?: Record<string, boolean> }): Promise<{ memberId: number; confUuid: string }>;
      destroy(): Promise<void>;
      addCustomEventListener(event: string, handler: (args: Record<string, unknown> | string, evt: EslEvent) => void): void;
      removeCustomEventListener(event: string, handler?: (args: Record<string, unknown> | string, evt: EslEvent) => void): void;
      on(event: 'dtmf', listener: (e: DtmfEvent) => void): this;
      on(event: 'destroy', listener: (e?: { reason?: string }) => void): this;
      on(event: string, listener: (...args: unknown[]) => void): this;
    }

    /** mediaserver.js's record of an endpoint being created: _onNewCall calls fn, or keeps conn for later. */
    interface PendingConnection {
      conn?: unknown;
      fn?: (conn: unknown) => void;
      dialog?: Srf.Dialog;
      connTimeout?: NodeJS.Timeout;
    }

    class MediaServer extends EventEmitter {
      readonly address: string;
      /** The inbound (control) event socket; FreeSWITCH's HEARTBEAT events arrive on it. */
      readonly conn: EslConnection;
      readonly maxSessions: number;
      readonly currentSessions: number;
      createEndpoint(opts?: EndpointOptions): Promise<Endpoint>;
      connectCaller(req: Srf.SrfRequest, res: Srf.SrfResponse, opts?: EndpointOptions & { headers?: Record<string, string> }): Promise<{ endpoint: Endpoint; dialog: Srf.Dialog }>;
      /** Runs an API command; resolves with its body. */
      api(command: string): Promise<string>;
      disconnect(): void;
      destroy(): void;
      /**
       * Internals (drachtio-fsmrf 4.1.x) used to answer a browser's offer on an outgoing leg, as
       * connectCaller does for an incoming one: INVITEs to FreeSWITCH waiting for its outbound event
       * socket, keyed by the uuid in their User-Agent; where that socket must connect; the profile's
       * SIP address.
       */
      readonly pendingConnections: Map<string, PendingConnection>;
      readonly advertisedAddress: string;
      readonly advertisedPort: number;
      readonly sip: { ipv4: { udp: { address: string } } };
      on(event: 'end' | 'connect' | 'ready', listener: () => void): this;
      on(event: 'error', listener: (err: Error) => void): this;
      on(event: string, listener: (...args: unknown[]) => void): this;
    }
  }

  class Mrf extends EventEmitter {
    constructor(srf: Srf, opts?: { customEvents?: string[] });
    connect(opts: Mrf.ConnectOptions): Promise<Mrf.MediaServer>;
  }

  export = Mrf;
}

/** The Endpoint class itself; mediaserver.js constructs it once FreeSWITCH's event socket connects. */
declare module 'drachtio-fsmrf/lib/endpoint' {
  import type Mrf from 'drachtio-fsmrf';
  import type Srf from 'drachtio-srf';

  class Endpoint extends Mrf.Endpoint {
    constructor(conn: unknown, dialog: Srf.Dialog, ms: Mrf.MediaServer, opts: Mrf.EndpointOptions);
  }
  export = Endpoint;
}

/** drachtio-srf's wire protocol (lib/wire-protocol.js): the admin connection's framing, patched by srf-gaps. */
declare module 'drachtio-srf/lib/wire-protocol' {
  import type { EventEmitter } from 'node:events';
  import type { Socket } from 'node:net';
  class WireProtocol extends EventEmitter {
    _onData(socket: Socket, msg: Buffer): void;
    mapIncomingMsg: Map<Socket, unknown>;
  }
  export = WireProtocol;
}
