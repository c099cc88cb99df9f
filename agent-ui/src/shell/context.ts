import { createContext, useContext } from 'react';
import type { MeProfile } from '@shared/desk-api';
import type { Api } from './api';
import type { ConnectionState, LiveSocket } from './live-socket';

/** What every page of the app gets from the shell: the REST client, who is signed in, the live connection. */
export interface Shell<Events extends { [E in keyof Events]: (payload: never) => void } = never> {
  api: Api;
  me: MeProfile;
  /** Server clock minus this browser's clock (ms): server timestamps are compared with Date.now() + offset. */
  serverOffset: number;
  socket: LiveSocket<Events>;
  connection: ConnectionState;
  logout(): void;
  /** Asks the server for the profile again (after a reconnect): refreshes the clock offset. */
  refreshMe(): Promise<void>;
}

type AnyEvents = Record<string, (payload: never) => void>;

/** Carries the socket of whichever page runs; the page narrows it with useShell<TheirEvents>(). */
export const ShellContext = createContext<Shell<AnyEvents> | undefined>(undefined);

export function useShell<Events extends { [E in keyof Events]: (payload: never) => void }>(): Shell<Events> {
  const s = useContext(ShellContext);
  if (!s) throw new Error('useShell outside the shell');
  return s as unknown as Shell<Events>;
}

/** Now on the server's clock. */
export function serverNow(offset: number): number {
  return Date.now() + offset;
}
