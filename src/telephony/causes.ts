import type { DialResult, HangupCause } from './switch';

/** SIP final status for a leg refused or ended with this cause (RFC 3261 / Q.850 mapping). */
export function sipStatusForCause(cause: HangupCause): number {
  switch (cause) {
    case 'normal_clearing':
      return 200;
    case 'user_busy':
      return 486;
    case 'no_answer':
      return 480;
    case 'call_rejected':
      return 603;
    case 'originator_cancel':
      return 487;
    case 'unallocated_number':
      return 404;
    case 'network_failure':
      return 502;
    case 'media_timeout':
      return 408;
    case 'system_shutdown':
    case 'temporary_failure':
      return 503;
    case 'incompatible_destination':
      return 488;
  }
}

/** The outcome of an outbound attempt that ended with a SIP failure status. */
export function dialFailureForSipStatus(status: number): Exclude<DialResult, { outcome: 'answered' }> {
  if (status === 486 || status === 600) return { outcome: 'busy', cause: 'user_busy', sipStatus: status };
  if (status === 408 || status === 480 || status === 487) return { outcome: 'no_answer', cause: 'no_answer', sipStatus: status };
  if (status === 603 || status === 403) return { outcome: 'rejected', cause: 'call_rejected', sipStatus: status };
  if (status === 404 || status === 484 || status === 410) return { outcome: 'failed', cause: 'unallocated_number', sipStatus: status };
  if (status === 488 || status === 606) return { outcome: 'failed', cause: 'incompatible_destination', sipStatus: status };
  return { outcome: 'failed', cause: 'network_failure', sipStatus: status };
}
