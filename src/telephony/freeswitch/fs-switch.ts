import { randomUUID } from 'node:crypto';
import Srf from 'drachtio-srf';
import Mrf from 'drachtio-fsmrf';
import type { Logger } from 'pino';
import { within, type Clock, type TimerHandle } from '../../clock/clock';
import { TypedEmitter } from '../../util/typed-emitter';
import { retryDelayMs } from '../../util/backoff';
import { dialFailureForSipStatus, sipStatusForCause } from '../causes';
import { DigitInput, collectDigits, waitForKey } from '../digit-input';
import {
  LegGoneError,
  type CollectOptions,
  type CollectResult,
  type DialRequest,
  type DialResult,
  type HangupCause,
  type LegId,
  type MonitorMode,
  type PlayOptions,
  type PlayResult,
  type PromptRef,
  type RecordOptions,
  type RecordResult,
  type RecordingOptions,
  type Switch,
  type SwitchEvents,
} from '../switch';
import { dialTarget, isWebRtcSdp } from './dial-target';
import { fsCauseFor, hangupCauseForFs } from './fs-causes';
import { classifyInbound, inCidr, type SourcePolicy } from './inbound-source';
import { recordingPath } from '../recording-path';
import { DEFAULT_MACHINE_DETECTION, type MachineDetectionOptions } from './machine-detection';
import { untilEnded, type FsLeg, type LegState } from './fs-leg';
import { callBrowser, callPhone, detectMachine, ringControl, ringingStopped, type AnsweredLeg, type OutboundDeps } from './outbound-legs';
import { holdMusicPlayback, promptPlayback } from './prompt-file';
import type { Registrar } from './registrar';
import { dtmfFromSipInfo } from './sip-info-dtmf';
import { conferenceSettings } from '../monitor-audio';
import { nextRecordStop } from './record-stop';
import { bridgeEstablished } from './channel-events';
import type { LegJournal } from './leg-journal';
import { byeByDialogId, byeQuietly, dialogId, drachtioTransport, guardWireProtocol, optionsInDialog, rehomeDialog, withGaps, type UacOptions } from './srf-gaps';
import type { Socket } from 'node:net';
import { DIALOG_KEEPALIVE_MS, farEndVerdict } from './dialog-keepalive';
import { detach } from '../../util/detach';
import { AdmissionControl, DEFAULT_ADMISSION, type AdmissionLimits } from '../admission';
import { ChannelSetupError, openChannel } from './media-connect';
import { relayOffer } from './media-relay';
import { MediaSetupError } from '../switch';
import { setupRefusal } from './setup-refusal';

export interface FsSwitchOptions {
  clock: Clock;
  log: Logger;
  drachtio: { host: string; port: number; secret: string };
  freeswitch: {
    host: string;
    port: number;
    secret: string;
    /** Address this process listens on for FreeSWITCH's outbound event socket (per call). */
    eslListenAddress: string;
    /** Address FreeSWITCH is told to connect back to, when it differs (NAT, containers). */
    eslAdvertisedAddress?: string;
    /** Port of that listener (default: any free one), and the port FreeSWITCH is told when it differs. */
    eslListenPort?: number;
    eslAdvertisedPort?: number;
  };
  /** The prompt folder as FreeSWITCH sees it (freeswitch/sounds mounted there). */
  soundDir: string;
  /** Hold music: a file under soundDir or a local_stream:// source. */
  holdMusic: string;
  /** Where FreeSWITCH writes recordings and voicemails. */
  recordingsDir: string;
  /** Carrier trunk for phone numbers, e.g. sip:{number}@carrier.example.com. */
  trunkUri: string | undefined;
  sources: SourcePolicy;
  registrar: Registrar;
  machineDetection?: MachineDetectionOptions;
  /** How long start() waits for drachtio and FreeSWITCH before returning (they keep being retried). */
  startWaitMs?: number;
  /** Where live legs' dialog ids and channel uuids are kept, so a restarted instance can end a dead one's calls. */
  journal?: LegJournal;
  /**
   * FreeSWITCH silent this long on its control connection (no HEARTBEAT, sent every
   * event-heartbeat-interval: 5 s in freeswitch/) counts as lost: a hung FreeSWITCH keeps its sockets open.
   */
  heartbeatTimeoutMs?: number;
  /** How long an inbound call's media setup (FreeSWITCH's answer to the INVITE and its event socket) may take; then 503. Default 4000. */
  mediaConnectTimeoutMs?: number;
  /** Ceilings above which new INVITEs get 503 with Retry-After at once. */
  admission?: AdmissionLimits;
}

/** How long a TCP connection to drachtio-server may go without completing the handshake. */
const DRACHTIO_HANDSHAKE_MS = 5000;

/** How often the legs of dead instances are looked for (also at each connection to drachtio). */
const ORPHAN_REAP_EVERY_MS = 5000;

/** How long bridge() waits for FreeSWITCH to have both channels in the bridge. */
const BRIDGE_WAIT_MS = 2000;

/**
 * The Switch port over drachtio-server (SIP) and FreeSWITCH (media): every leg is a SIP dialog with
 * the far end plus a FreeSWITCH endpoint created through drachtio-fsmrf; bridging, prompts, digits
 * and recording happen on the endpoints.
 */
export class FsSwitch extends TypedEmitter<SwitchEvents> implements Switch {
  readonly kind = 'freeswitch' as const;
  private readonly legs = new Map<LegId, FsLeg>();
  /** Monitored conversations by conference name: their two parties, and the customer's member id. */
  private readonly rooms = new Map<string, { customer: LegId; agent: LegId; customerMember: number }>();
  private readonly srf = new Srf();
  private readonly mrf: Mrf;
  private ms: Mrf.MediaServer | undefined;
  private drachtioUp = false;
  /** Connections to drachtio-server made so far (the first, then reconnections). */
  private drachtioSessions = 0;
  private connected = false;
  private accepting = true;
  private stopping = false;
  private mediaAttempt = 0;
  /** A connection attempt to FreeSWITCH is under way. */
  private mediaConnecting = false;
  private mediaTimer: TimerHandle | undefined;
  private heartbeatWatch: TimerHandle | undefined;
  private readonly log: Logger;
  /** This instance, and how to tell which instances are gone (set by the app: setOwner). */
  private owner: { id: string; dead(ids: string[]): Promise<Set<string>> } | undefined;
  private reapTimer: TimerHandle | undefined;
  private readonly amd: MachineDetectionOptions;
  private readonly outbound: OutboundDeps;
  private readonly admission: AdmissionControl;

  constructor(private readonly o: FsSwitchOptions) {
    super();
    this.log = o.log.child({ component: 'fs-switch' });
    this.mrf = new Mrf(this.srf, { customEvents: ['avmd::beep'] });
    this.amd = o.machineDetection ?? DEFAULT_MACHINE_DETECTION;
    this.outbound = { srf: this.srf, clock: o.clock, log: this.log };
    this.admission = new AdmissionControl(o.admission ?? DEFAULT_ADMISSION);
  }

  // ---- lifecycle -------------------------------------------------------------------------

  async start(): Promise<void> {
    this.stopping = false;
    this.srf.on('connect', (err, hostPort) => {
      if (err) return void this.log.warn({ err }, 'drachtio connect error');
      this.log.info({ hostPort }, 'connected to drachtio-server');
      this.drachtioUp = true;
      if (++this.drachtioSessions > 1) this.adoptOrphanedDialogs();
      this.reapSoon(0);
      this.refreshConnected('drachtio connected');
      if (!this.ms) this.connectMedia();
    });
    for (const ev of ['close', 'reconnecting'] as const) {
      (this.srf as unknown as NodeJS.EventEmitter).on(ev, () => {
        if (this.drachtioUp) this.log.warn({ event: ev, callsInProgress: this.legs.size }, 'lost drachtio-server; reconnecting');
        this.drachtioUp = false;
        this.refreshConnected('drachtio-server lost');
      });
    }
    let errorsInARow = 0;
    this.srf.on('connect', () => (errorsInARow = 0));
    // srf retries fast while a TCP connect succeeds and then fails (a relay, a restarting server): the first error and every 20th are logged
    this.srf.on('error', (err) => {
      if (errorsInARow++ % 20 === 0) this.log.warn({ err: err.message, inARow: errorsInARow }, 'drachtio connection error');
    });
    this.srf.invite((req, res) => void this.onInvite(req, res).catch((err: unknown) => this.log.error({ err }, 'INVITE handling failed')));
    withGaps(this.srf).register((req, res) => void this.o.registrar.onRegister(req, res).catch((err: unknown) => this.log.error({ err }, 'REGISTER handling failed')));
    guardWireProtocol((err, inARow) => this.log.error({ err: err.message, inARow, drachtio: `${this.o.drachtio.host}:${this.o.drachtio.port}` }, 'the peer at the drachtio address does not speak the drachtio protocol; reconnecting'));
    withGaps(this.srf).connect({ host: this.o.drachtio.host, port: this.o.drachtio.port, secret: this.o.drachtio.secret, enablePing: true, pingInterval: 10_000, reconnect: { retryMaxDelay: 5000 } });
    this.watchDrachtioHandshake();
    this.connectMedia(); // FreeSWITCH is tried at once too, not only once drachtio answers
    const deadline = this.o.clock.now() + (this.o.startWaitMs ?? 10_000);
    while (!this.connected && this.o.clock.now() < deadline) await this.o.clock.sleep('fs-switch:start', 100);
    if (!this.connected) this.log.warn({ drachtio: this.drachtioUp, freeswitch: !!this.ms }, 'telephony not connected yet; calls are refused until it is');
  }

  /**
   * A TCP connection that never completes drachtio's handshake (a silent or foreign service at that
   * address) is dropped after DRACHTIO_HANDSHAKE_MS, so srf reconnects instead of waiting for ever.
   */
  private watchDrachtioHandshake(): void {
    drachtioTransport(this.srf)?.on('connect', (socket: Socket) => {
      const timer = setTimeout(() => {
        if (this.drachtioUp || this.stopping || socket.destroyed) return;
        this.log.warn({ drachtio: `${this.o.drachtio.host}:${this.o.drachtio.port}` }, 'no drachtio handshake on the admin connection; reconnecting');
        socket.destroy();
      }, DRACHTIO_HANDSHAKE_MS);
      socket.once('close', () => clearTimeout(timer));
    });
  }

  private connectMedia(): void {
    if (this.stopping || this.ms || this.mediaConnecting) return;
    this.o.clock.clearTimer(this.mediaTimer);
    this.mediaConnecting = true;
    const attempt = ++this.mediaAttempt;
    const f = this.o.freeswitch;
    this.mrf
      .connect({ address: f.host, port: f.port, secret: f.secret, listenAddress: f.eslListenAddress, ...(f.eslAdvertisedAddress ? { advertisedAddress: f.eslAdvertisedAddress } : {}), ...(f.eslListenPort ? { listenPort: f.eslListenPort } : {}), ...(f.eslAdvertisedPort ? { advertisedPort: f.eslAdvertisedPort } : {}) })
      .then((ms) => {
        this.mediaConnecting = false;
        if (this.stopping) return ms.disconnect();
        this.ms = ms;
        this.mediaAttempt = 0;
        this.log.info({ address: ms.address }, 'connected to FreeSWITCH');
        ms.on('error', (err) => this.log.warn({ err: err.message }, 'FreeSWITCH connection error'));
        ms.on('end', () => this.onMediaLost('FreeSWITCH lost'));
        this.watchHeartbeat(ms);
        this.refreshConnected('FreeSWITCH connected');
      })
      .catch((err: unknown) => {
        this.mediaConnecting = false;
        const wait = retryDelayMs(attempt, { baseMs: 500, maxMs: 5000 });
        this.log.warn({ err: (err as Error).message, retryInMs: wait }, 'FreeSWITCH not reachable');
        this.mediaTimer = this.o.clock.setTimer('fs-switch:media-reconnect', wait, () => this.connectMedia());
      });
  }

  /** FreeSWITCH must be heard from: each HEARTBEAT on its control connection re-arms the watch. */
  private watchHeartbeat(ms: Mrf.MediaServer): void {
    const timeoutMs = this.o.heartbeatTimeoutMs ?? 30_000;
    const arm = (): void => {
      this.o.clock.clearTimer(this.heartbeatWatch);
      this.heartbeatWatch = this.o.clock.setTimer('fs-switch:heartbeat-watch', timeoutMs, () => {
        if (this.ms !== ms) return;
        this.log.error({ silentMs: timeoutMs }, 'FreeSWITCH sent no heartbeat: its control connection is taken as lost');
        this.onMediaLost(`no heartbeat from FreeSWITCH in ${timeoutMs} ms`);
      });
    };
    ms.conn.on('esl::event::HEARTBEAT::*', arm);
    arm();
  }

  private onMediaLost(reason: string): void {
    if (!this.ms) return;
    const lost = this.ms;
    this.ms = undefined;
    this.o.clock.clearTimer(this.heartbeatWatch);
    try {
      lost.disconnect();
    } catch {
      /* already closed */
    }
    // Calls in progress are left alone: each has its own event socket with FreeSWITCH, and if FreeSWITCH
    // itself is gone those close too and end their legs (endpoint 'destroy'). A lost control connection
    // alone (a restart of the link, a network blip) must not cut conversations.
    this.log.error({ callsInProgress: this.legs.size, reason }, 'lost the FreeSWITCH control connection: new calls refused until it is back');
    this.refreshConnected(reason);
    if (!this.stopping) this.mediaTimer = this.o.clock.setTimer('fs-switch:media-reconnect', 1000, () => this.connectMedia());
  }

  /**
   * Back on drachtio-server after losing it: the calls in progress go on (their media never left
   * FreeSWITCH), but their dialogs were carried by the lost connection. They are sent on over the new
   * one, and their far ends asked now and then whether they are still there, since drachtio-server
   * no longer passes their BYE on.
   */
  private adoptOrphanedDialogs(): void {
    let adopted = 0;
    for (const leg of this.legs.values()) {
      if (leg.state !== 'answered' || !leg.dialog || leg.dialogEnded) continue;
      rehomeDialog(leg.dialog);
      if (leg.endpoint) rehomeDialog(leg.endpoint.dialog);
      if (!leg.keepalive) this.keepDialogAlive(leg);
      adopted++;
    }
    if (adopted > 0) this.log.warn({ calls: adopted }, 'calls in progress outlived the drachtio-server connection; their far ends are asked whether they are still there');
  }

  private keepDialogAlive(leg: FsLeg): void {
    leg.keepalive = this.o.clock.setTimer(`fs:${leg.id}:dialog-keepalive`, DIALOG_KEEPALIVE_MS, async () => {
      const dialog = leg.dialog;
      if (leg.state !== 'answered' || !dialog) return;
      const verdict = farEndVerdict(await optionsInDialog(dialog));
      if ((leg.state as LegState) !== 'answered') return;
      if (verdict === 'gone') {
        this.log.info({ leg: leg.id, callId: leg.callId }, 'the far end of a call that outlived the drachtio-server connection has hung up');
        leg.dialogEnded = true;
        return this.endLeg(leg, 'normal_clearing', 'remote');
      }
      this.keepDialogAlive(leg);
    });
  }

  private refreshConnected(reason: string): void {
    const now = this.drachtioUp && !!this.ms;
    if (now === this.connected) return;
    this.connected = now;
    this.emit('switch.connection', { connected: now, reason });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.accepting = false;
    this.o.clock.clearTimer(this.mediaTimer);
    this.o.clock.clearTimer(this.heartbeatWatch);
    this.o.clock.clearTimer(this.reapTimer);
    await Promise.all([...this.legs.values()].map((leg) => this.hangupLeg(leg, 'system_shutdown').catch(() => undefined)));
    this.ms?.disconnect();
    this.ms = undefined;
    try {
      this.srf.disconnect();
    } catch {
      /* never connected (srf asserts it has a socket): nothing to close */
    }
    this.drachtioUp = false;
    this.refreshConnected('stopped');
  }

  isConnected(): boolean {
    return this.connected;
  }

  /** The app tells the adapter who it is, so legs are journalled under this instance and dead ones' legs reaped. */
  setOwner(owner: { id: string; dead(ids: string[]): Promise<Set<string>> }): void {
    this.owner = owner;
  }

  private reapSoon(delayMs = ORPHAN_REAP_EVERY_MS): void {
    this.o.clock.clearTimer(this.reapTimer);
    if (this.stopping || !this.o.journal) return;
    this.reapTimer = this.o.clock.setTimer('fs-switch:reap-orphans', delayMs, async () => {
      try {
        await this.reapOrphans();
      } catch (err) {
        this.log.warn({ err }, 'ending the calls of a dead instance failed; trying again');
      }
      this.reapSoon();
    });
  }

  /**
   * The legs of instances that died (SIGKILL, a crash) are still up in drachtio-server and maybe in
   * FreeSWITCH: their callers would hear dead air. Each gets a BYE (by its dialog id) and its channel is
   * killed; then it is forgotten.
   */
  async reapOrphans(): Promise<number> {
    const journal = this.o.journal;
    const owner = this.owner;
    if (!journal || !owner || !this.drachtioUp) return 0;
    const orphans = await journal.orphans((ids) => owner.dead(ids.filter((id) => id !== owner.id)));
    for (const { legId, trace } of orphans) {
      const far = await byeByDialogId(this.srf, trace.dialog);
      if (trace.mediaDialog) await byeByDialogId(this.srf, trace.mediaDialog);
      if (trace.uuid && this.ms) await this.ms.api(`uuid_kill ${trace.uuid}`).catch(() => undefined);
      this.log.warn({ leg: legId, callId: trace.callId, deadOwner: trace.owner, bye: far }, 'ended a call left by an instance that died');
      await journal.forget(legId);
    }
    return orphans.length;
  }

  tagLeg(legId: LegId, callId: string): void {
    const leg = this.legs.get(legId);
    if (leg) leg.callId = callId;
  }

  parts(): Record<string, 'up' | 'down'> {
    const d = this.o.drachtio;
    const f = this.o.freeswitch;
    return { [`drachtio-server ${d.host}:${d.port}`]: this.drachtioUp ? 'up' : 'down', [`FreeSWITCH ${f.host}:${f.port}`]: this.ms ? 'up' : 'down' };
  }

  setAccepting(accepting: boolean): void {
    this.accepting = accepting;
  }

  // ---- inbound ---------------------------------------------------------------------------

  private async onInvite(req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<void> {
    if (!this.accepting || !this.connected) return void res.send(503, this.accepting ? 'Media Server Unavailable' : 'Shutting Down', {});
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = String(v);
    const address = req.source_address;
    const known = [...this.o.sources.trunkCidrs, ...this.o.sources.vehicleCidrs].some((c) => inCidr(address, c));
    const agentUser = known ? undefined : await this.o.registrar.authenticate(req, res, true);
    if (!known && agentUser === undefined) return; // challenged or refused already
    const verdict = classifyInbound({ address, headers, agentUser }, this.o.sources);
    if ('refuse' in verdict) {
      this.log.warn({ address, reason: verdict.reason }, 'INVITE refused');
      return void res.send(verdict.refuse, verdict.reason, {});
    }
    // drachtio passed on a CANCEL before this handler ran: it has answered 487 already
    if ((req as Srf.SrfRequest & { canceled?: boolean }).canceled) return;
    const admission = this.admit();
    if (!admission.admit) {
      this.log.warn({ address, reason: admission.reason, refused: this.admission.refused }, 'INVITE refused: above the admission ceiling');
      return void res.send(503, 'Service Unavailable', { headers: { 'Retry-After': String(admission.retryAfterSeconds), Warning: `399 dcc-cti "overloaded: ${admission.reason}"` } });
    }
    const leg: FsLeg = { id: `fs-${randomUUID()}`, state: 'offered', input: new DigitInput(), pending: { req, res }, holdMusic: false };
    this.legs.set(leg.id, leg);
    req.on('cancel', () => {
      if (leg.state === 'offered') this.endLeg(leg, 'originator_cancel', 'remote', { sipStatus: 487, reason: 'the caller cancelled' });
    });
    this.emit('call.offered', {
      legId: leg.id,
      from: agentUser !== undefined ? `agent:${agentUser}` : req.callingNumber,
      to: req.calledNumber,
      source: verdict.source,
      headers,
      receivedAt: this.o.clock.now(),
    });
  }

  /** The live figures admission control decides on. */
  private admit(): ReturnType<AdmissionControl['decide']> {
    const ms = this.ms as (Mrf.MediaServer & { cpuIdle?: number }) | undefined;
    let ownChannels = 0;
    let pendingConnects = 0;
    for (const leg of this.legs.values()) {
      if (leg.endpoint || leg.setup) ownChannels++;
      if (leg.state === 'offered') pendingConnects++;
    }
    const finite = (n: number | undefined): number | undefined => (typeof n === 'number' && Number.isFinite(n) ? n : undefined);
    return this.admission.decide(this.o.clock.now(), { serverSessions: finite(ms?.currentSessions), serverMaxSessions: finite(ms?.maxSessions), idleCpu: finite(ms?.cpuIdle), ownChannels, pendingConnects });
  }

  /**
   * Answers the caller once FreeSWITCH has a channel for its offer. Every way this can fail ends in
   * a final response to the caller (488 with a Warning when FreeSWITCH refuses the offer, 503 when it
   * is slow or gone) and nothing left behind; a CANCEL stops the setup at whatever step it is.
   */
  async answer(legId: LegId): Promise<void> {
    const leg = this.live(legId);
    if (leg.state === 'answered') return;
    const pending = leg.pending;
    if (!pending || leg.state !== 'offered') throw new Error(`leg ${legId} cannot be answered in state ${leg.state}`);
    const ms = this.ms;
    if (!ms) return this.refuseSetup(leg, new ChannelSetupError('failed', 'FreeSWITCH is not connected'));
    const setup = new AbortController();
    leg.setup = setup;
    let endpoint: Mrf.Endpoint | undefined;
    let dialog: Srf.Dialog;
    try {
      if (isWebRtcSdp(pending.req.body)) {
        ({ endpoint, dialog } = await ms.connectCaller(pending.req, pending.res, { headers: { 'X-Media-WebRTC': 'true' } }));
      } else {
        endpoint = await openChannel(this.srf, ms, this.o.clock, { offerSdp: pending.req.body, timeoutMs: this.o.mediaConnectTimeoutMs ?? 4000, signal: setup.signal, owner: leg.id });
        dialog = await this.srf.createUAS(pending.req, pending.res, { localSdp: endpoint.local.sdp });
      }
    } catch (err) {
      delete leg.setup;
      if (endpoint) void endpoint.destroy().catch(() => undefined);
      if ((leg.state as LegState) === 'ended' || (err instanceof ChannelSetupError && err.kind === 'cancelled')) throw new LegGoneError(legId);
      return this.refuseSetup(leg, err);
    }
    delete leg.setup;
    delete leg.pending;
    if ((leg.state as LegState) === 'ended') {
      // the caller gave up as the answer went out
      void endpoint.destroy().catch(() => undefined);
      byeQuietly(dialog);
      throw new LegGoneError(legId);
    }
    this.attach(leg, dialog, endpoint);
  }

  /** The caller gets the final response the failure calls for; the leg ends with it. */
  private refuseSetup(leg: FsLeg, err: unknown): never {
    const r = setupRefusal(err);
    this.log.warn({ leg: leg.id, callId: leg.callId, err: (err as Error).message, status: r.sipStatus, reason: r.reason }, 'media setup failed; caller refused');
    leg.pending?.res.send(r.sipStatus, r.phrase, { headers: r.headers });
    delete leg.pending;
    this.endLeg(leg, r.cause, 'local', { sipStatus: r.sipStatus, reason: r.reason });
    throw new MediaSetupError(leg.id, r.sipStatus, r.reason);
  }

  async reject(legId: LegId, sipStatus: number, reason?: string): Promise<void> {
    const leg = this.live(legId);
    if (leg.state === 'answered') throw new Error(`leg ${legId} is answered; hang it up instead of rejecting`);
    if (leg.pending) leg.pending.res.send(sipStatus, reason ?? '', {});
    this.endLeg(leg, dialFailureForSipStatus(sipStatus).cause, 'local', { sipStatus, ...(reason ? { reason } : {}) });
  }

  /** A leg is up: its SIP dialog and its FreeSWITCH endpoint live and die together. */
  private attach(leg: FsLeg, dialog: Srf.Dialog, endpoint: Mrf.Endpoint): void {
    leg.dialog = dialog;
    leg.endpoint = endpoint;
    leg.state = 'answered';
    const journal = this.o.journal;
    if (journal && this.owner) detach(journal.record(leg.id, { owner: this.owner.id, callId: leg.callId, dialog: dialogId(dialog), mediaDialog: dialogId(endpoint.dialog), uuid: endpoint.uuid }), this.log, 'leg not journalled', { leg: leg.id });
    dialog.on('destroy', (msg) => {
      leg.dialogEnded = true;
      const reason = /cause=(\d+)|text="([^"]+)"/.exec(msg?.get?.('Reason') ?? '');
      this.endLeg(leg, hangupCauseForFs(reason?.[2]), 'remote');
    });
    // re-INVITE / UPDATE from the far end: relayed to FreeSWITCH, its answer returned
    const relay = (req: Srf.SrfRequest, res: Srf.SrfResponse): void => {
      if (leg.state !== 'answered') return void res.send(481, {});
      detach(
        relayOffer(dialog, endpoint, req, res, this.log.child({ leg: leg.id, callId: leg.callId })).then((hold) => {
          if (hold === undefined || hold === (leg.hold ?? 'off') || leg.state !== 'answered') return;
          leg.hold = hold;
          this.log.info({ leg: leg.id, callId: leg.callId, hold }, hold === 'off' ? 'the far end took the call off hold' : 'the far end put the call on hold');
          this.emit('leg.hold', { legId: leg.id, hold, at: this.o.clock.now() });
        }),
        this.log,
        'relaying a re-INVITE failed',
        { leg: leg.id },
      );
    };
    dialog.on('modify', relay);
    dialog.on('update', relay);
    dialog.on('info', (req, res) => {
      res.send(200);
      const key = dtmfFromSipInfo(req.get('Content-Type'), req.body ?? '');
      if (key !== undefined) this.digit(leg, key);
    });
    endpoint.on('dtmf', (e) => this.digit(leg, e.dtmf));
    endpoint.on('destroy', (e?: { reason?: string }) => {
      // FreeSWITCH ended the media (RTP timeout on a dead WebRTC leg, a restart): end the call too
      if (leg.state !== 'ended') this.endLeg(leg, hangupCauseForFs(e?.reason ?? 'MEDIA_TIMEOUT'), 'remote');
    });
    this.emit('leg.answered', { legId: leg.id, at: this.o.clock.now() });
  }

  private digit(leg: FsLeg, key: string): void {
    if (leg.state !== 'answered') return;
    this.emit('leg.dtmf', { legId: leg.id, digit: key, at: this.o.clock.now() });
    leg.input.push(key);
  }

  // ---- media -----------------------------------------------------------------------------

  async play(legId: LegId, prompt: PromptRef, options: PlayOptions = {}): Promise<PlayResult> {
    const leg = this.live(legId);
    const ep = this.media(leg);
    const pressed = leg.input.peek();
    if (options.bargeIn && pressed !== undefined) return { outcome: 'interrupted', digit: pressed };
    const resumeMusic = leg.holdMusic;
    if (resumeMusic) await this.stopHoldMusic(legId);
    let interrupted: string | undefined;
    const unwatch = leg.input.watch(() => {
      const key = leg.input.peek();
      if (!options.bargeIn || key === undefined || interrupted !== undefined || leg.input.ended) return;
      interrupted = key;
      void ep.api('uuid_break', ep.uuid).catch(() => undefined);
    });
    try {
      const done = await Promise.race([ep.play(promptPlayback(prompt, this.o.soundDir)), untilEnded(leg)]);
      if (done === 'ended' || leg.state === 'ended') return { outcome: 'hangup' };
    } catch (err) {
      if (leg.state === 'ended') return { outcome: 'hangup' };
      throw err;
    } finally {
      unwatch();
    }
    if (resumeMusic && leg.state === 'answered') await this.startHoldMusic(legId);
    return interrupted !== undefined ? { outcome: 'interrupted', digit: interrupted } : { outcome: 'completed' };
  }

  async collectDigits(legId: LegId, options: CollectOptions): Promise<CollectResult> {
    const leg = this.live(legId);
    if (options.prompt) {
      const played = await this.play(legId, options.prompt, { bargeIn: true });
      if (played.outcome === 'hangup') return { outcome: 'hangup', digits: '' };
    }
    return collectDigits(leg.input, this.o.clock, `fs:${legId}:collect`, options);
  }

  async recordMessage(legId: LegId, options: RecordOptions): Promise<RecordResult> {
    const leg = this.live(legId);
    const ep = this.media(leg);
    const started = this.o.clock.now();
    // uuid_record (record_session) creates the dated folder; the `record` application does not
    const file = `${this.o.recordingsDir.replace(/\/+$/, '')}/voicemail/${new Date(started).toISOString().slice(0, 10)}/${legId}-${started}.wav`;
    const stop = nextRecordStop(ep, file);
    const key = waitForKey(leg.input, options.terminator);
    try {
      // the caller only, mono; FreeSWITCH stops it at the limit
      await this.fsApi(ep, 'uuid_setvar_multi', `${ep.uuid} RECORD_STEREO=false;RECORD_READ_ONLY=true`);
      await this.fsApi(ep, 'uuid_record', `${ep.uuid} start ${file} ${Math.ceil(options.maxMs / 1000)}`);
    } catch (err) {
      stop.cancel();
      key.abort();
      if (leg.state === 'ended') return { outcome: 'empty' };
      throw err;
    }
    const first = await Promise.race([stop.done.then(() => 'limit' as const), key.done]);
    if (first === 'key') void ep.api('uuid_record', `${ep.uuid} stop ${file}`).catch(() => undefined);
    key.abort();
    // RECORD_STOP follows a stop or a hang-up within moments; when FreeSWITCH is gone it never comes
    const stopped = await within(this.o.clock, `fs:${legId}:voicemail-stop`, 3000, stop.done, undefined);
    stop.cancel();
    const durationMs = stopped?.durationMs ?? this.o.clock.now() - started;
    if (durationMs < 1000) return { outcome: 'empty' };
    const endedBy = first === 'key' ? 'terminator' : first === 'limit' ? 'max' : 'hangup';
    return { outcome: 'recorded', durationMs, file, endedBy };
  }

  async startHoldMusic(legId: LegId): Promise<void> {
    const leg = this.live(legId);
    const ep = this.media(leg);
    if (leg.holdMusic) return;
    leg.holdMusic = true;
    // runs until broken; not awaited
    void ep.execute('endless_playback', holdMusicPlayback(this.o.holdMusic, this.o.soundDir)).catch(() => undefined);
  }

  async stopHoldMusic(legId: LegId): Promise<void> {
    const leg = this.live(legId);
    if (!leg.holdMusic) return;
    leg.holdMusic = false;
    if (leg.endpoint) await leg.endpoint.api('uuid_break', `${leg.endpoint.uuid} all`).catch(() => undefined);
  }

  // ---- outbound --------------------------------------------------------------------------

  async dial(request: DialRequest, signal?: AbortSignal): Promise<DialResult> {
    if (signal?.aborted) return ringingStopped('cancel');
    const ms = this.ms;
    if (!ms || !this.drachtioUp) return dialFailureForSipStatus(503);
    const registration = request.to.startsWith('agent:') ? await this.o.registrar.lookup(request.to.slice('agent:'.length)) : undefined;
    const target = dialTarget(request.to, { trunkUri: this.o.trunkUri, registration });
    if ('error' in target) {
      this.log.info({ to: request.to, reason: target.error }, 'dial refused');
      return dialFailureForSipStatus(target.sipStatus);
    }
    const leg: FsLeg = { id: `fs-${randomUUID()}`, state: 'ringing', input: new DigitInput(), holdMusic: false, ...(request.headers?.['x-call-id'] ? { callId: request.headers['x-call-id'] } : {}) };
    this.legs.set(leg.id, leg);
    const ringing = ringControl(this.outbound, leg, request.ringTimeoutMs, signal);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(request.headers ?? {})) headers[k.startsWith('x-') ? `X-${k.slice(2)}` : k] = v;
    const uac: UacOptions = { headers, callingNumber: request.callerId, ...(target.proxy ? { proxy: target.proxy } : {}) };

    let answered: AnsweredLeg;
    try {
      answered = target.webrtc ? await callBrowser(this.outbound, ms, target.uri, uac, ringing.progress) : await callPhone(this.outbound, ms, leg, target.uri, uac, ringing.progress);
    } catch (err) {
      ringing.done();
      this.dropUnanswered(leg);
      const stoppedBy = ringing.stoppedBy();
      if (stoppedBy) return ringingStopped(stoppedBy);
      const status = (err as { status?: number }).status;
      if (typeof status === 'number') return dialFailureForSipStatus(status);
      this.log.warn({ err: (err as Error).message, to: request.to }, 'dial failed');
      return dialFailureForSipStatus(500);
    }
    ringing.done();
    const stoppedBy = ringing.stoppedBy();
    if (stoppedBy) {
      // answered while we were cancelling: the 200 OK won the race; end it at once
      byeQuietly(answered.dialog);
      this.dropUnanswered(leg);
      void answered.ep.destroy().catch(() => undefined);
      return ringingStopped(stoppedBy);
    }
    this.attach(leg, answered.dialog, answered.ep);
    const at = this.o.clock.now();
    if (!request.detectMachine) return { outcome: 'answered', legId: leg.id, at };
    const answeredBy = await detectMachine(this.outbound, this.amd, leg, answered.ep);
    return { outcome: 'answered', legId: leg.id, at, answeredBy };
  }

  /** An outbound leg that never became a call: forgotten, its digit input closed. */
  private dropUnanswered(leg: FsLeg): void {
    this.legs.delete(leg.id);
    leg.state = 'ended';
    leg.input.end();
  }

  async bridge(a: LegId, b: LegId): Promise<void> {
    const legA = this.live(a);
    const legB = this.live(b);
    if (legA.state !== 'answered' || legB.state !== 'answered') throw new Error(`cannot bridge ${a} and ${b}: both legs must be answered`);
    await this.stopHoldMusic(a);
    await this.stopHoldMusic(b);
    const [epA, epB] = [this.media(legA), this.media(legB)];
    // uuid_bridge takes the channels out of whatever they run (a park, a conference); done once both are in
    const established = bridgeEstablished(epA, epB);
    const t0 = this.o.clock.now();
    try {
      await epA.bridge(epB);
      const inBridge = await within(this.o.clock, `fs:${a}:bridge`, BRIDGE_WAIT_MS, established.done, false);
      if (!inBridge && legA.state === 'answered' && legB.state === 'answered') this.log.warn({ a, b, callId: legA.callId ?? legB.callId }, `FreeSWITCH did not report the bridge within ${BRIDGE_WAIT_MS} ms`);
      else this.log.debug({ a, b, ms: this.o.clock.now() - t0 }, 'bridged');
    } finally {
      established.cancel();
    }
    for (const leg of [legA, legB]) {
      if (leg.conference) this.rooms.delete(leg.conference.room);
      delete leg.conference;
    }
    for (const [leg, other] of [
      [legA, b],
      [legB, a],
    ] as const) {
      const previous = leg.bridgedTo ? this.legs.get(leg.bridgedTo) : undefined;
      if (previous && previous.id !== other) delete previous.bridgedTo;
      leg.bridgedTo = other;
    }
  }

  async unbridge(legId: LegId): Promise<void> {
    const leg = this.live(legId);
    const ep = this.media(leg);
    const room = leg.conference ? this.rooms.get(leg.conference.room) : undefined;
    if (room) {
      // both parties leave the conference (parked); supervisors stay in it, alone
      for (const id of [room.customer, room.agent]) {
        const party = this.legs.get(id);
        if (party?.endpoint && party.state === 'answered') await this.fsApi(party.endpoint, 'uuid_transfer', `${party.endpoint.uuid} park inline`).catch((err: unknown) => this.log.warn({ err, leg: id, callId: party.callId }, 'could not park'));
        if (party) delete party.conference;
      }
      this.rooms.delete(leg.conference?.room ?? '');
      return;
    }
    const partner = leg.bridgedTo ? this.legs.get(leg.bridgedTo) : undefined;
    if (partner) await ep.unbridge();
    delete leg.bridgedTo;
    if (partner?.bridgedTo === leg.id) delete partner.bridgedTo;
  }

  /**
   * Monitoring happens in a conference named by the agent's leg: the first time, the customer and
   * the agent are moved out of their bridge into it as full members; the supervisor joins muted
   * (listen), related "nospeak" to the customer (whisper), or as a full member (barge).
   */
  async monitor(supervisorLeg: LegId, agentLeg: LegId, mode: MonitorMode): Promise<void> {
    const sup = this.live(supervisorLeg);
    const agent = this.live(agentLeg);
    const supEp = this.media(sup);
    const agentEp = this.media(agent);
    const roomName = `mon-${agent.id}`;
    let room = this.rooms.get(roomName);
    if (!room) {
      const customer = agent.bridgedTo ? this.legs.get(agent.bridgedTo) : undefined;
      if (!customer) throw new Error(`leg ${agentLeg} is not in a conversation`);
      const customerEp = this.media(customer);
      await agentEp.unbridge(); // parks both
      delete agent.bridgedTo;
      delete customer.bridgedTo;
      const customerMember = await this.joinRoom(customer, customerEp, roomName, false);
      await this.joinRoom(agent, agentEp, roomName, false);
      room = { customer: customer.id, agent: agent.id, customerMember };
      this.rooms.set(roomName, room);
    }
    if (sup.conference?.room !== roomName) {
      if (sup.bridgedTo) await this.unbridge(supervisorLeg);
      await this.joinRoom(sup, supEp, roomName, mode === 'listen');
    }
    const member = sup.conference?.memberId;
    const { muted, silentToCustomer } = conferenceSettings(mode);
    await this.fsApi(supEp, 'conference', `${roomName} ${muted ? 'mute' : 'unmute'} ${member}`);
    await this.fsApi(supEp, 'conference', `${roomName} relate ${member} ${room.customerMember} ${silentToCustomer ? 'nospeak' : 'clear'}`);
  }

  private async joinRoom(leg: FsLeg, ep: Mrf.Endpoint, room: string, muted: boolean): Promise<number> {
    const { memberId } = await ep.join(room, { profile: 'cc_monitor', flags: muted ? { mute: true } : {} });
    leg.conference = { room, memberId };
    return memberId;
  }

  async hangup(legId: LegId, cause: HangupCause = 'normal_clearing'): Promise<void> {
    const leg = this.legs.get(legId);
    if (!leg) return;
    await this.hangupLeg(leg, cause);
  }

  private async hangupLeg(leg: FsLeg, cause: HangupCause): Promise<void> {
    if (leg.state === 'ringing' && leg.cancel) return leg.cancel();
    const status = sipStatusForCause(cause) === 200 ? 480 : sipStatusForCause(cause);
    if (leg.pending) leg.pending.res.send(status, {});
    this.endLeg(leg, cause, 'local', leg.pending ? { sipStatus: status } : undefined);
  }

  // ---- recording -------------------------------------------------------------------------

  async startRecording(legId: LegId, options: RecordingOptions): Promise<{ file: string }> {
    const leg = this.live(legId);
    const ep = this.media(leg);
    const now = this.o.clock.now();
    const file = recordingPath(this.o.recordingsDir, options.name, now, options.timeZone);
    // RECORD_STOP arrives on the endpoint's own event socket when the recording is closed
    const stopped = nextRecordStop(ep, file).done;
    leg.recording = { name: options.name, file, startedAt: now, maskedMs: 0, maskedSince: undefined, reported: false, stopped };
    detach(stopped.then((r) => this.reportRecording(leg, r.durationMs, r.file)), this.log, 'recording stop not reported', { leg: leg.id, callId: options.name });
    // both directions, customer left and agent right
    await this.fsApi(ep, 'uuid_setvar_multi', `${ep.uuid} RECORD_STEREO=true;RECORD_READ_ONLY=false`);
    await this.fsApi(ep, 'uuid_record', `${ep.uuid} start ${file}`);
    return { file };
  }

  async setRecordingMasked(legId: LegId, masked: boolean): Promise<void> {
    const leg = this.live(legId);
    const r = leg.recording;
    if (!r) throw new Error(`leg ${legId} is not being recorded`);
    const ep = this.media(leg);
    await this.fsApi(ep, 'uuid_record', `${ep.uuid} ${masked ? 'mask' : 'unmask'} ${r.file}`);
    const now = this.o.clock.now();
    if (masked && r.maskedSince === undefined) r.maskedSince = now;
    if (!masked && r.maskedSince !== undefined) {
      r.maskedMs += now - r.maskedSince;
      r.maskedSince = undefined;
    }
  }

  /** Once per recording: from RECORD_STOP, or from the leg's end when FreeSWITCH is gone and will not send it. */
  private reportRecording(leg: FsLeg, durationMs: number | undefined, file: string | undefined, at = this.o.clock.now()): void {
    const r = leg.recording;
    if (!r || r.reported) return;
    r.reported = true;
    const maskedMs = r.maskedMs + (r.maskedSince !== undefined ? at - r.maskedSince : 0);
    this.emit('recording.stopped', { legId: leg.id, name: r.name, file: file ?? r.file, durationMs: durationMs ?? at - r.startedAt, channels: 2, maskedMs, at });
  }

  /** An API command whose body must say +OK. */
  private async fsApi(ep: Mrf.Endpoint, command: string, args: string): Promise<void> {
    const res = await ep.api(command, args);
    const body = res.getBody();
    if (!body.startsWith('+OK')) throw new Error(`${command} ${args}: ${body.trim()}`);
  }

  // ---- internals -------------------------------------------------------------------------

  private live(legId: LegId): FsLeg {
    const leg = this.legs.get(legId);
    if (!leg || leg.state === 'ended') throw new LegGoneError(legId);
    return leg;
  }

  private media(leg: FsLeg): Mrf.Endpoint {
    if (!leg.endpoint || leg.state !== 'answered') throw new Error(`leg ${leg.id} has no media yet (state ${leg.state})`);
    return leg.endpoint;
  }

  /**
   * Closes a finished leg's FreeSWITCH channel. A recording is stopped first and its RECORD_STOP
   * awaited (briefly): once the channel is gone its event socket closes and the event with the
   * recorded length would be lost. If FreeSWITCH does not answer, the length is taken from the clock.
   */
  private async releaseMedia(leg: FsLeg, ep: Mrf.Endpoint, cause: HangupCause): Promise<void> {
    const r = leg.recording;
    if (r && !r.reported) {
      const endedAt = this.o.clock.now();
      if (ep.connected) await ep.api('uuid_record', `${ep.uuid} stop ${r.file}`).catch(() => undefined);
      const stop = await within(this.o.clock, `fs:${leg.id}:record-stop`, 2000, r.stopped, undefined);
      this.reportRecording(leg, stop?.durationMs, stop?.file, stop ? this.o.clock.now() : endedAt);
    }
    // FreeSWITCH ended the channel itself (its socket is closing): nothing to hang up
    if (!ep.connected) return;
    // the hangup application with the cause, for FreeSWITCH's own records; its BYE ends the endpoint
    void ep.execute('hangup', fsCauseFor(cause)).catch(() => undefined);
  }

  /** Ends a leg once: tears down whatever side is still up and tells the call logic. */
  private endLeg(leg: FsLeg, cause: HangupCause, by: 'remote' | 'local', final?: { sipStatus: number; reason?: string }): void {
    if (leg.state === 'ended') return;
    leg.state = 'ended';
    leg.setup?.abort(); // a caller who cancels stops its media setup at whatever step it is
    this.legs.delete(leg.id);
    if (leg.dialog && this.o.journal) detach(this.o.journal.forget(leg.id), this.log, 'leg journal entry not removed', { leg: leg.id });
    this.o.clock.clearTimer(leg.keepalive);
    const partner = leg.bridgedTo ? this.legs.get(leg.bridgedTo) : undefined;
    if (partner?.bridgedTo === leg.id) delete partner.bridgedTo;
    if (leg.endpoint) detach(this.releaseMedia(leg, leg.endpoint, cause), this.log, 'releasing a leg\'s media failed', { leg: leg.id });
    // a dialog the far end ended (BYE) is gone already in drachtio
    if (leg.dialog && !leg.dialogEnded) byeQuietly(leg.dialog);
    leg.input.end();
    this.emit('leg.hangup', { legId: leg.id, cause, by, at: this.o.clock.now(), ...final });
  }
}
