import type { Logger } from '../log';

/** An error raised about a call carries its id, so whatever logs it names the call. */
export function callIdOf(reason: unknown): string | undefined {
  const id = (reason as { callId?: unknown } | null)?.callId;
  return typeof id === 'string' ? id : undefined;
}

/**
 * The process-wide policy for failures nobody handled: a rejected promise is logged (with the call id
 * when the error names one) and counted, and the process carries on with the calls it holds. Every
 * fire-and-forget promise has its own handler (lint checks it); this is the net under a missed one.
 */
export function installFaultPolicy(log: Logger, onUnhandled: () => void): () => void {
  const handler = (reason: unknown): void => {
    onUnhandled();
    log.error({ err: reason, callId: callIdOf(reason) }, 'unhandled promise rejection; the process carries on');
  };
  process.on('unhandledRejection', handler);
  return () => process.off('unhandledRejection', handler);
}
