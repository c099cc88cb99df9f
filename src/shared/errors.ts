/**
 * Codes every refusal carries (a socket ack `{ ok: false, code, error }`, a REST body
 * `{ error, code }`): the web app shows its own translation of the code and falls back to `error`
 * (English) for a code it does not know.
 */
export const ERROR_CODES = [
  // generic
  'invalid_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'method_not_allowed',
  'conflict',
  'too_many_requests',
  'payload_too_large',
  'unsupported_media_type',
  'unavailable',
  'internal',
  // socket sessions
  'session_expired',
  'account_disabled',
  'not_a_call_taker',
  'instance_starting',
  // agent state
  'state_refused',
  'unknown_not_ready_reason',
  'disposition_required',
  // calls
  'not_offered',
  'not_your_call',
  'no_such_call',
  'not_in_wrap_up',
  'wrap_up_extension_exhausted',
  'disposition_invalid',
  'disposition_duplicate',
  'transfer_not_allowed',
  'transfer_busy',
  'not_a_phone_number',
  'monitor_refused',
  // outbound
  'campaign_refused',
  'no_lead_due',
  'do_not_call',
  'outside_call_window',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** What a socket command is answered with (socket.io acknowledgement). */
export type CommandAck<T = unknown> = { ok: true; data?: T } | { ok: false; code: ErrorCode; error: string };

/** The body of every REST error response. */
export interface ApiError {
  error: string;
  code: ErrorCode;
}
