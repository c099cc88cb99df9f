import { z } from 'zod';
import type { AccountEvents } from '../auth/account-events';
import { hashPassword } from '../auth/passwords';
import type { Models, Role as RoleName, UserDoc } from '../store/models';
import { sipPasswordFor } from '../telephony/freeswitch/digest-auth';
import { HttpError } from './http-kit';
import { created, ok, type RouteRegistry } from './route-registry';
import { canSeeStore, storeFilter, type Scope } from './scope';
import { Id, IsoDate, Role, StoreId, Username } from './schemas';

export interface UserDeps {
  models: Models;
  accounts: AccountEvents;
  /** AUTH_SECRET (the SIP password key is derived from it). */
  sipSecret: string;
  /** After a team or user change that routing caches (queues, skills). */
  reloadRouting: () => Promise<void>;
}

/** Higher roles may grant lower ones; nobody but an admin grants admin. */
const RANK: Record<RoleName, number> = { agent: 1, sales_consultant: 1, supervisor: 2, manager: 3, admin: 4 };
const rankOf = (roles: readonly RoleName[]): number => Math.max(0, ...roles.map((r) => RANK[r]));
/** Roles with a desk (the agent socket): a user who loses all of them has their open desks ended. */
const CALL_TAKING: ReadonlySet<RoleName> = new Set(['agent', 'sales_consultant', 'supervisor']);

const Skill = z.strictObject({ skill: z.string().min(1).max(40), level: z.number().int().min(1).max(10) });
const Extension = z.string().regex(/^[0-9]{2,8}$/, 'extensions are 2-8 digits');
const Password = z.string().min(8, 'passwords have at least 8 characters').max(200);

const UserView = z
  .object({
    username: z.string(),
    displayName: z.string(),
    roles: z.array(Role),
    storeIds: z.array(z.string()),
    queueIds: z.array(z.string()),
    skills: z.array(z.object({ skill: z.string(), level: z.number() })),
    extension: z.string().nullable(),
    active: z.boolean(),
    createdAt: IsoDate.optional(),
    updatedAt: IsoDate.optional(),
  })
  .meta({ id: 'User' });

const newUser = z.strictObject({
  username: Username,
  displayName: z.string().min(1).max(80),
  password: Password,
  roles: z.array(Role).min(1).max(5),
  storeIds: z.array(StoreId).max(50).default([]),
  queueIds: z.array(Id).max(50).default([]),
  skills: z.array(Skill).max(50).default([]),
  extension: Extension.optional(),
});
const userPatch = z
  .strictObject({
    displayName: z.string().min(1).max(80),
    password: Password,
    roles: z.array(Role).min(1).max(5),
    storeIds: z.array(StoreId).max(50),
    queueIds: z.array(Id).max(50),
    skills: z.array(Skill).max(50),
    extension: Extension.nullable(),
    active: z.boolean(),
  })
  .partial()
  .refine((p) => Object.keys(p).length > 0, { message: 'nothing to change' })
  .meta({ override: { minProperties: 1 } });

const usersQuery = z.object({ storeId: StoreId.optional(), role: Role.optional(), active: z.enum(['true', 'false']).optional() });
const userParams = z.object({ username: Username });

const TeamView = z
  .object({ teamId: z.string(), storeId: z.string(), name: z.string(), members: z.array(z.string()), active: z.boolean(), createdAt: IsoDate.optional(), updatedAt: IsoDate.optional() })
  .meta({ id: 'Team' });
const newTeam = z.strictObject({ teamId: Id, storeId: StoreId, name: z.string().min(1).max(80), members: z.array(Username).max(200).default([]) });
const teamPatch = z
  .strictObject({ name: z.string().min(1).max(80), members: z.array(Username).max(200), active: z.boolean() })
  .partial()
  .refine((p) => Object.keys(p).length > 0, { message: 'nothing to change' })
  .meta({ override: { minProperties: 1 } });
const teamParams = z.object({ teamId: Id });

type UserRecord = Pick<UserDoc, 'username' | 'displayName' | 'roles' | 'storeIds' | 'queueIds' | 'skills' | 'extension' | 'active'> & { createdAt?: Date; updatedAt?: Date };

function view(u: UserRecord): z.infer<typeof UserView> {
  return {
    username: u.username,
    displayName: u.displayName,
    roles: u.roles as RoleName[],
    storeIds: u.storeIds,
    queueIds: u.queueIds,
    skills: u.skills.map((s) => ({ skill: s.skill, level: s.level })),
    extension: u.extension ?? null,
    active: u.active !== false,
    ...(u.createdAt ? { createdAt: u.createdAt.toISOString() } : {}),
    ...(u.updatedAt ? { updatedAt: u.updatedAt.toISOString() } : {}),
  };
}

/** A manager sees users who share a store with them; an admin sees everyone. */
function canSee(s: Scope, u: { storeIds: string[] }): boolean {
  return s.admin || u.storeIds.some((st) => s.storeIds.includes(st));
}

/** A manager changes users of their own stores only (every store of the user), and never one ranked above them. */
function canChange(s: Scope, u: { storeIds: string[]; roles: string[] }): boolean {
  if (s.admin) return true;
  return u.storeIds.length > 0 && u.storeIds.every((st) => s.storeIds.includes(st)) && rankOf(u.roles as RoleName[]) <= rankOf(s.roles);
}

/** Checks roles and stores a caller gives: no admin or role above their own, only their stores, only stores and queues that exist. */
async function checkGrant(models: Models, s: Scope, roles: RoleName[] | undefined, storeIds: string[] | undefined, queueIds: string[] | undefined): Promise<void> {
  if (roles && !s.admin) {
    const above = roles.filter((r) => r === 'admin' || RANK[r] > rankOf(s.roles));
    if (above.length > 0) throw new HttpError(403, `you cannot grant the role ${above.join(', ')}`);
  }
  if (storeIds) {
    if (!s.admin && storeIds.length === 0) throw new HttpError(403, 'a manager gives users at least one of their stores');
    for (const st of storeIds) {
      if (!canSeeStore(s, st) || !(await models.Store.exists({ _id: st }))) throw new HttpError(422, `no store ${st} in your stores`);
    }
  }
  for (const q of queueIds ?? []) {
    const queue = await models.Queue.findOne({ queueId: q }, { storeId: 1 }).lean();
    if (!queue || (!s.admin && !canSeeStore(s, queue.storeId))) throw new HttpError(422, `no queue ${q} in your stores`);
  }
}

/** Users and teams: admins everywhere, managers within their stores. */
export function userRoutes(r: RouteRegistry, d: UserDeps): void {
  const managers = ['manager', 'admin'] as const;

  const findVisible = async (s: Scope, username: string): Promise<UserRecord> => {
    const u = await d.models.User.findOne({ username }, { passwordHash: 0 }).lean();
    if (!u || !canSee(s, u)) throw new HttpError(404, `no user ${username} in your stores`);
    return u;
  };
  const findChangeable = async (s: Scope, username: string): Promise<UserRecord> => {
    const u = await findVisible(s, username);
    if (!canChange(s, u)) throw new HttpError(403, `${username} also belongs to stores or roles you do not manage`);
    return u;
  };
  const fresh = async (username: string): Promise<UserRecord> => {
    const u = await d.models.User.findOne({ username }, { passwordHash: 0 }).lean();
    if (!u) throw new HttpError(404, `no user ${username}`);
    return u;
  };

  r.add({
    method: 'get',
    path: '/api/users',
    tag: 'users',
    summary: "Users of the caller's stores (admins: everyone), optionally of one store, role or state",
    access: managers,
    query: usersQuery,
    responses: { 200: { description: 'users', schema: z.array(UserView) } },
    handler: async ({ scope, query }) => {
      const filter: Record<string, unknown> = { ...storeFilter(scope, 'storeIds') };
      if (query.storeId) filter.storeIds = canSeeStore(scope, query.storeId) ? query.storeId : '\u0000';
      if (query.role) filter.roles = query.role;
      if (query.active) filter.active = query.active === 'true' ? { $ne: false } : false;
      const docs = await d.models.User.find(filter, { passwordHash: 0 }).sort({ username: 1 }).limit(5000).lean();
      return ok(docs.map(view));
    },
  });

  r.add({
    method: 'post',
    path: '/api/users',
    tag: 'users',
    summary: "Create a user (managers: in their stores, with roles up to their own)",
    access: managers,
    body: newUser,
    responses: { 201: { description: 'the user', schema: UserView }, 403: { description: 'a role above yours, or no store of yours' }, 409: { description: 'the user name is taken' }, 422: { description: 'a store or queue that is not yours' } },
    handler: async ({ scope, body }) => {
      await checkGrant(d.models, scope, body.roles, body.storeIds, body.queueIds);
      if (await d.models.User.exists({ username: body.username })) throw new HttpError(409, `user ${body.username} already exists`);
      const { password, ...rest } = body;
      try {
        await d.models.User.create({ ...rest, passwordHash: await hashPassword(password) });
      } catch (err) {
        if ((err as { code?: number }).code === 11000) throw new HttpError(409, `user ${body.username} already exists`);
        throw err;
      }
      return created(view(await fresh(body.username)));
    },
  });

  r.add({
    method: 'get',
    path: '/api/users/:username',
    tag: 'users',
    summary: 'One user',
    access: managers,
    params: userParams,
    responses: { 200: { description: 'the user', schema: UserView }, 404: { description: "no such user in the caller's stores" } },
    handler: async ({ scope, params }) => ok(view(await findVisible(scope, params.username))),
  });

  r.add({
    method: 'patch',
    path: '/api/users/:username',
    tag: 'users',
    summary: 'Change a user: display name, roles, stores, queues, skills, extension, active, password (a new password or deactivation ends their sessions)',
    access: managers,
    params: userParams,
    body: userPatch,
    responses: { 200: { description: 'the user as saved', schema: UserView }, 403: { description: 'a role above yours, or a user of other stores' }, 404: { description: "no such user in the caller's stores" }, 422: { description: "a store or queue not in the caller's stores" } },
    handler: async ({ scope, params, body }) => {
      const { username } = params;
      await findChangeable(scope, username);
      if (username === scope.username && (body.roles || body.storeIds || body.active === false)) throw new HttpError(403, 'you cannot change your own roles, stores or state');
      await checkGrant(d.models, scope, body.roles, body.storeIds, body.queueIds);
      const { password, extension, ...rest } = body;
      const set: Record<string, unknown> = { ...rest };
      if (extension !== undefined && extension !== null) set.extension = extension;
      if (password) set.passwordHash = await hashPassword(password);
      const endsSessions = password !== undefined || body.active === false;
      await d.models.User.updateOne(
        { username },
        { $set: set, ...(extension === null ? { $unset: { extension: '' } } : {}), ...(endsSessions ? { $inc: { tokenGeneration: 1 } } : {}) },
        { runValidators: true },
      );
      const noLongerTakesCalls = body.roles !== undefined && !body.roles.some((role) => CALL_TAKING.has(role));
      await d.accounts.changed(
        username,
        body.active === false
          ? { code: 'account_disabled', error: 'your account was disabled' }
          : password
            ? { code: 'session_expired', error: 'your password was changed: log in again' }
            : noLongerTakesCalls
              ? { code: 'session_expired', error: 'your account no longer takes calls' }
              : undefined,
      );
      if (body.queueIds || body.skills) await d.reloadRouting();
      return ok(view(await fresh(username)));
    },
  });

  r.add({
    method: 'post',
    path: '/api/users/:username/deactivate',
    tag: 'users',
    summary: 'Disable a user: they cannot log in, their tokens stop working and their open desks are ended (code account_disabled)',
    access: managers,
    params: userParams,
    responses: { 200: { description: 'the user, inactive', schema: UserView }, 403: { description: 'a user of other stores, one ranked above you, or yourself' }, 404: { description: "no such user in the caller's stores" } },
    handler: async ({ scope, params }) => {
      await findChangeable(scope, params.username);
      if (params.username === scope.username) throw new HttpError(403, 'you cannot disable yourself');
      await d.models.User.updateOne({ username: params.username }, { $set: { active: false }, $inc: { tokenGeneration: 1 } });
      await d.accounts.changed(params.username, { code: 'account_disabled', error: 'your account was disabled' });
      return ok(view(await fresh(params.username)));
    },
  });

  r.add({
    method: 'post',
    path: '/api/users/:username/sip-password/reset',
    tag: 'users',
    summary: "Give a user a new SIP password (theirs alone): their phones must register again with it; the answer carries it for provisioning a desk phone",
    access: managers,
    params: userParams,
    responses: { 200: { description: 'the new SIP credentials', schema: z.object({ username: z.string(), password: z.string() }) }, 403: { description: 'a user of other stores or ranked above you' }, 404: { description: "no such user in the caller's stores" } },
    handler: async ({ scope, params }) => {
      await findChangeable(scope, params.username);
      const after = await d.models.User.findOneAndUpdate({ username: params.username }, { $inc: { sipPasswordVersion: 1 } }, { new: true }).lean();
      await d.accounts.changed(params.username);
      return ok({ username: params.username, password: sipPasswordFor(params.username, d.sipSecret, after?.sipPasswordVersion ?? 0) });
    },
  });

  // ---- teams ----------------------------------------------------------------------------------

  const teamView = (t: { _id: string; storeId: string; name: string; members: string[]; active?: boolean | null; createdAt?: Date; updatedAt?: Date }): z.infer<typeof TeamView> => ({
    teamId: t._id,
    storeId: t.storeId,
    name: t.name,
    members: t.members,
    active: t.active !== false,
    ...(t.createdAt ? { createdAt: t.createdAt.toISOString() } : {}),
    ...(t.updatedAt ? { updatedAt: t.updatedAt.toISOString() } : {}),
  });
  const checkMembers = async (storeId: string, members: string[]): Promise<void> => {
    for (const m of members) {
      if (!(await d.models.User.exists({ username: m, storeIds: storeId }))) throw new HttpError(422, `no user ${m} in store ${storeId}`);
    }
  };

  r.add({
    method: 'get',
    path: '/api/teams',
    tag: 'users',
    summary: "Teams of the caller's stores (active ones; ?all=1 also the deactivated)",
    access: ['supervisor', ...managers],
    query: z.object({ all: z.enum(['0', '1']).optional() }),
    responses: { 200: { description: 'teams', schema: z.array(TeamView) } },
    handler: async ({ scope, query }) => ok((await d.models.Team.find({ ...storeFilter(scope, 'storeId'), ...(query.all === '1' ? {} : { active: { $ne: false } }) }).sort({ _id: 1 }).lean()).map(teamView)),
  });

  r.add({
    method: 'post',
    path: '/api/teams/:teamId/deactivate',
    tag: 'users',
    summary: 'Deactivate a team: it leaves the lists and campaigns can no longer be given to it (its members keep their accounts; reactivate with PATCH active: true)',
    access: managers,
    params: teamParams,
    responses: { 200: { description: 'the team, inactive', schema: TeamView }, 404: { description: "no such team in the caller's stores" } },
    handler: async ({ scope, params }) => {
      const team = await d.models.Team.findById(params.teamId).lean();
      if (!team || !canSeeStore(scope, team.storeId)) throw new HttpError(404, `no team ${params.teamId} in your stores`);
      await d.models.Team.updateOne({ _id: params.teamId }, { $set: { active: false } });
      return ok(teamView(await d.models.Team.findById(params.teamId).lean().orFail()));
    },
  });

  r.add({
    method: 'post',
    path: '/api/teams',
    tag: 'users',
    summary: 'Create a team of one store; its members must be users of that store',
    access: managers,
    body: newTeam,
    responses: { 201: { description: 'the team', schema: TeamView }, 409: { description: 'the team id is taken' }, 422: { description: "a store or member not in the caller's stores" } },
    handler: async ({ scope, body }) => {
      if (!canSeeStore(scope, body.storeId) || !(await d.models.Store.exists({ _id: body.storeId }))) throw new HttpError(422, `no store ${body.storeId} in your stores`);
      const members = [...new Set(body.members)];
      await checkMembers(body.storeId, members);
      if (await d.models.Team.exists({ _id: body.teamId })) throw new HttpError(409, `team ${body.teamId} already exists`);
      await d.models.Team.create({ _id: body.teamId, storeId: body.storeId, name: body.name, members });
      return created(teamView(await d.models.Team.findById(body.teamId).lean().orFail()));
    },
  });

  r.add({
    method: 'patch',
    path: '/api/teams/:teamId',
    tag: 'users',
    summary: 'Rename a team or set its members',
    access: managers,
    params: teamParams,
    body: teamPatch,
    responses: { 200: { description: 'the team as saved', schema: TeamView }, 404: { description: "no such team in the caller's stores" }, 422: { description: 'a member who is not a user of the team\'s store' } },
    handler: async ({ scope, params, body }) => {
      const team = await d.models.Team.findById(params.teamId).lean();
      if (!team || !canSeeStore(scope, team.storeId)) throw new HttpError(404, `no team ${params.teamId} in your stores`);
      const set: Record<string, unknown> = {};
      if (body.name) set.name = body.name;
      if (body.active !== undefined) set.active = body.active;
      if (body.members) {
        set.members = [...new Set(body.members)];
        await checkMembers(team.storeId, set.members as string[]);
      }
      await d.models.Team.updateOne({ _id: params.teamId }, { $set: set });
      return ok(teamView(await d.models.Team.findById(params.teamId).lean().orFail()));
    },
  });
}
