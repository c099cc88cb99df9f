import { UserError } from '../util/user-error';

/** A desk command the call's state refuses (not offered to you, not your call…): answered with its code. */
export class CallActionError extends UserError {}
