import type { HangupCause } from '../switch';

/**
 * FreeSWITCH hangup causes (Q.850 names, as in the Hangup-Cause header and a BYE's Reason) in the
 * engine-neutral terms of the Switch port.
 */
export function hangupCauseForFs(fsCause: string | undefined): HangupCause {
  switch ((fsCause ?? '').toUpperCase()) {
    case 'USER_BUSY':
      return 'user_busy';
    case 'NO_ANSWER':
    case 'NO_USER_RESPONSE':
    case 'ALLOTTED_TIMEOUT':
      return 'no_answer';
    case 'CALL_REJECTED':
      return 'call_rejected';
    case 'ORIGINATOR_CANCEL':
      return 'originator_cancel';
    case 'UNALLOCATED_NUMBER':
    case 'NO_ROUTE_DESTINATION':
    case 'INVALID_NUMBER_FORMAT':
      return 'unallocated_number';
    case 'MEDIA_TIMEOUT':
      return 'media_timeout';
    case 'SYSTEM_SHUTDOWN':
    case 'MANAGER_REQUEST':
      return 'system_shutdown';
    case 'INCOMPATIBLE_DESTINATION':
    case 'BEARERCAPABILITY_NOTIMPL':
      return 'incompatible_destination';
    case 'NORMAL_TEMPORARY_FAILURE':
    case 'SWITCH_CONGESTION':
      return 'temporary_failure';
    case 'DESTINATION_OUT_OF_ORDER':
    case 'NETWORK_OUT_OF_ORDER':
    case 'RECOVERY_ON_TIMER_EXPIRE':
      return 'network_failure';
    default:
      return 'normal_clearing';
  }
}

/** The Q.850 name FreeSWITCH understands for a cause the call logic asks for (hangup/uuid_kill). */
export function fsCauseFor(cause: HangupCause): string {
  switch (cause) {
    case 'normal_clearing':
      return 'NORMAL_CLEARING';
    case 'user_busy':
      return 'USER_BUSY';
    case 'no_answer':
      return 'NO_ANSWER';
    case 'call_rejected':
      return 'CALL_REJECTED';
    case 'originator_cancel':
      return 'ORIGINATOR_CANCEL';
    case 'unallocated_number':
      return 'UNALLOCATED_NUMBER';
    case 'network_failure':
      return 'NETWORK_OUT_OF_ORDER';
    case 'media_timeout':
      return 'MEDIA_TIMEOUT';
    case 'system_shutdown':
      return 'SYSTEM_SHUTDOWN';
    case 'incompatible_destination':
      return 'INCOMPATIBLE_DESTINATION';
    case 'temporary_failure':
      return 'NORMAL_TEMPORARY_FAILURE';
  }
}
