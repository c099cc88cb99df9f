import type { ErrorCode } from '../shared/errors';

/**
 * A refusal the user can act on: answered with its code (which the web app translates) and this
 * English message, never logged as a fault.
 */
export class UserError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
