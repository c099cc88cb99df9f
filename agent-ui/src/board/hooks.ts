import { useEffect, useState } from 'react';

/** This browser's clock, re-read every `everyMs` (timers on the board count from server timestamps). */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
