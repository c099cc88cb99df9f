import type { z } from 'zod';
import type { ApiError, ErrorCode } from '../shared/errors';

/** Error messages are cut to this many characters: no error body echoes unbounded input. */
export const MAX_ERROR_CHARS = 300;

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'invalid_request',
  429: 'too_many_requests',
  503: 'unavailable',
};

export function codeForStatus(status: number): ErrorCode {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? 'internal' : 'invalid_request');
}

/** A message of at most MAX_ERROR_CHARS characters (plus a note saying how much was cut). */
export function boundMessage(message: string): string {
  const chars = [...message];
  if (chars.length <= MAX_ERROR_CHARS) return message;
  return `${chars.slice(0, MAX_ERROR_CHARS).join('')} … (${chars.length - MAX_ERROR_CHARS} more characters cut)`;
}

/** A request failed for a reason the caller can fix: sent as { error, code } with this status. */
export class HttpError extends Error {
  readonly code: ErrorCode;

  constructor(
    readonly status: number,
    message: string,
    code?: ErrorCode,
    /** Extra response headers (Retry-After, Allow). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.code = code ?? codeForStatus(status);
  }

  body(): ApiError {
    return { error: boundMessage(this.message), code: this.code };
  }
}

export function zodMessage(err: z.ZodError, where = 'body'): string {
  return err.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : where}: ${i.message}`).join('; ');
}

/**
 * 400 when the value does not have the documented shape; 422 when it has, and only a rule the
 * document cannot express (a refinement: a valid time zone, an interval that ends after it starts) refuses it.
 */
export function validationError(err: z.ZodError, where = 'body'): HttpError {
  const onlyRules = err.issues.every((i) => i.code === 'custom');
  return new HttpError(onlyRules ? 422 : 400, zodMessage(err, where), 'invalid_request');
}

export function parseWith<T extends z.ZodType>(schema: T, value: unknown, where = 'body'): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw validationError(r.error, where);
  return r.data;
}
