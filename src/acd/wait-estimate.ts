/** Average handle time assumed for a queue with no history yet (talk + wrap-up). */
export const DEFAULT_HANDLE_MS = 180_000;

/**
 * Estimated wait for a caller with `ahead` callers in front: the queue's agents clear calls at
 * staffed / avgHandle per ms, and the caller is served in the round after those ahead.
 * Pure, rounded up to whole minutes as callers hear it (at least 1).
 */
export function estimateWaitMinutes(ahead: number, avgHandleMs: number, staffed: number): number {
  const rounds = Math.floor(Math.max(0, ahead) / Math.max(1, staffed)) + 1;
  // Half a handle time per round on average: the agent serving now is partway through their call.
  const ms = rounds * avgHandleMs - avgHandleMs / 2;
  return Math.max(1, Math.ceil(ms / 60_000));
}
