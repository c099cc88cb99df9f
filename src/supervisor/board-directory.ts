import type { Models } from '../store/models';
import type { BoardPerson } from './board-snapshot';

/** Roles whose holders take calls and appear on the board's agents grid. */
const CALL_TAKING = ['agent', 'sales_consultant', 'supervisor'];

export interface BoardDirectoryView {
  stores: { storeId: string; name: string }[];
  people: BoardPerson[];
  /** Voicemails not yet handled, per store. */
  voicemails: Map<string, number>;
}

/**
 * Who and what the board shows beside the live state: stores, call takers with their teams, unhandled
 * voicemails. Read from MongoDB every `maxAgeMs` (not per tick), or sooner when an agent nobody
 * knows has logged in.
 */
export class BoardDirectory {
  private view: BoardDirectoryView | undefined;
  private readAt = 0;

  constructor(
    private readonly models: Models,
    private readonly maxAgeMs: number,
  ) {}

  /** Forget what was read (a user or store changed). */
  invalidate(): void {
    this.view = undefined;
  }

  /** With `stale` (someone unknown is logged in), read again if the last read is older than a second. */
  async get(now: number, stale = false): Promise<BoardDirectoryView> {
    if (this.view && now - this.readAt < (stale ? 1000 : this.maxAgeMs)) return this.view;
    const [stores, users, teams, voicemails] = await Promise.all([
      this.models.Store.find({}, { name: 1 }).lean(),
      this.models.User.find({ roles: { $in: CALL_TAKING }, active: { $ne: false } }, { username: 1, displayName: 1, storeIds: 1, queueIds: 1 }).lean(),
      this.models.Team.find({}, { name: 1, members: 1 }).lean(),
      this.models.Voicemail.find({ handledAt: null }, { storeId: 1 }).lean(),
    ]);
    const teamOf = new Map<string, { id: string; name: string }>();
    for (const t of teams) for (const m of t.members) if (!teamOf.has(m)) teamOf.set(m, { id: t._id, name: t.name });
    const vm = new Map<string, number>();
    for (const v of voicemails) if (v.storeId) vm.set(v.storeId, (vm.get(v.storeId) ?? 0) + 1);
    this.view = {
      stores: stores.map((s) => ({ storeId: String(s._id), name: s.name })),
      people: users.map((u) => ({ agentId: u.username, name: u.displayName ?? u.username, storeIds: u.storeIds, queueIds: u.queueIds, teamId: teamOf.get(u.username)?.id ?? null, teamName: teamOf.get(u.username)?.name ?? null })),
      voicemails: vm,
    };
    this.readAt = now;
    return this.view;
  }
}
