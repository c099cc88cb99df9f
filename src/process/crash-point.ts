/**
 * Fault injection for crash tests: when DCC_CRASH_POINT names this point, the process kills itself
 * with SIGKILL right here (nothing is flushed, no handler runs), exactly as a power cut or an OOM kill
 * would. Unset (always, in production), it does nothing.
 */
export function crashPoint(name: 'after-disposition'): void {
  if (process.env.DCC_CRASH_POINT === name) process.kill(process.pid, 'SIGKILL');
}
