import type Srf from 'drachtio-srf';
import type Mrf from 'drachtio-fsmrf';
import type { TimerHandle } from '../../clock/clock';
import { waitForKey, type DigitInput } from '../digit-input';
import type { LegId } from '../switch';
import type { RecordStop } from './record-stop';

export type LegState = 'offered' | 'ringing' | 'answered' | 'ended';

/** One leg as the FreeSWITCH adapter keeps it: the far end's SIP dialog and the FreeSWITCH channel carrying its media. */
export interface FsLeg {
  id: LegId;
  /** The call the leg belongs to (tagLeg, or the x-call-id header of a dialled leg), for the logs. */
  callId?: string;
  state: LegState;
  input: DigitInput;
  /** An inbound call not answered yet. */
  pending?: { req: Srf.SrfRequest; res: Srf.SrfResponse };
  /** Aborts the media setup under way for an inbound leg (its caller cancelled). */
  setup?: AbortController;
  /** The hold state the far end last asked for with a re-INVITE/UPDATE. */
  hold?: 'sendonly' | 'inactive' | 'off';
  /** The far end's dialog (caller, agent phone, customer). */
  dialog?: Srf.Dialog;
  /** The far end sent BYE: drachtio has forgotten the dialog. */
  dialogEnded?: boolean;
  /** The FreeSWITCH channel that carries the leg's media. */
  endpoint?: Mrf.Endpoint;
  bridgedTo?: LegId;
  holdMusic: boolean;
  /** Cancels a ringing outbound leg. */
  cancel?: () => void;
  /** Asks the far end now and then whether the call is still there (its dialog outlived a drachtio connection). */
  keepalive?: TimerHandle;
  /** A member of a monitored conversation's conference. */
  conference?: { room: string; memberId: number };
  recording?: {
    name: string;
    file: string;
    startedAt: number;
    maskedMs: number;
    maskedSince: number | undefined;
    reported: boolean;
    /** Settles with FreeSWITCH's RECORD_STOP for this file. */
    stopped: Promise<RecordStop>;
  };
}


/** Long-running media applications must not outlive their leg: races them with its end. */
export function untilEnded(leg: FsLeg): Promise<'ended'> {
  return waitForKey(leg.input, undefined).done.then(() => 'ended' as const);
}
