/**
 * Calls that outlive a lost drachtio-server connection. drachtio-server unlinks an app's dialogs when
 * its connection drops and, once the app is back, answers the far ends' in-dialog requests (their BYE)
 * with 481 instead of passing them on: the app would never hear those calls end. It can still send on
 * them, so it asks each far end now and then (an in-dialog OPTIONS) whether the call is still there.
 */

/** How often an orphaned dialog's far end is asked. */
export const DIALOG_KEEPALIVE_MS = 5000;

/** What the answer to an in-dialog OPTIONS says about the far end: gone (481, no answer, drachtio has dropped the dialog), alive, or unknown (ask again). */
export function farEndVerdict(outcome: { status: number } | { error: string }): 'alive' | 'gone' | 'unknown' {
  if ('status' in outcome) return outcome.status === 481 || outcome.status === 408 ? 'gone' : 'alive';
  return /unable to find dialog|does not exist|\b481\b|\b408\b/i.test(outcome.error) ? 'gone' : 'unknown';
}
