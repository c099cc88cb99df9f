import type { Logger } from '../log';

/**
 * Work nobody waits for (a write off the call's path, a notice, a hang-up in passing): its failure is
 * logged with the given fields (the call id, where it concerns a call) and never becomes an unhandled
 * rejection, so one failed Redis or MongoDB command cannot take the process down.
 */
export function detach(work: Promise<unknown>, log: Pick<Logger, 'error'>, what: string, fields: Record<string, unknown> = {}): void {
  work.then(undefined, (err: unknown) => log.error({ err, ...fields }, what));
}
