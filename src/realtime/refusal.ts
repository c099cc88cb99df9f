import type { ErrorCode } from '../shared/errors';

/**
 * A refused socket.io connection: the client's `connect_error` carries `message` and `data.code`, so
 * the page can say why (session expired, account disabled, not a call taker, standby instance).
 */
export function refusal(code: ErrorCode, message: string): Error & { data: { code: ErrorCode } } {
  return Object.assign(new Error(message), { data: { code } });
}
