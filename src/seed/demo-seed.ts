import { hashPassword } from '../auth/passwords';
import type { Logger } from '../log';
import type { Models } from '../store/models';

const DAY = 24 * 3600 * 1000;

/** Demo accounts for the embedded default; printed at start-up and in README. Never seeded in production. */
export const DEMO_USERS = [
  { username: '1001', password: 'demo1001', displayName: '王丽 (DCC 呼入)', roles: ['agent'] as const },
  { username: '1002', password: 'demo1002', displayName: '李强 (DCC 回访)', roles: ['agent'] as const },
  { username: 'super', password: 'demosuper', displayName: '赵敏 (主管)', roles: ['supervisor'] as const },
  { username: 'manager', password: 'demomanager', displayName: '钱进 (店经理)', roles: ['manager'] as const },
  { username: 'admin', password: 'demoadmin', displayName: '系统管理员', roles: ['admin'] as const },
];
const CALL_TAKERS = DEMO_USERS.filter((u) => u.roles.some((r) => r === 'agent' || r === 'supervisor'));

const DEMO_QUEUES = [
  { queueId: 'dcc-inbound', name: 'DCC 呼入', storeId: 'sh-pudong', numbers: ['4008001234', '02158001234'], greetingPrompt: 'welcome', announceEveryMs: 45_000, callbackKey: '1', requireDisposition: true },
  { queueId: 'sales', name: '销售咨询', storeId: 'sh-pudong', numbers: [], greetingPrompt: 'please_hold', announceEveryMs: 45_000, callbackKey: '1', overflow: { kind: 'callback' }, maxWaitMs: 300_000 },
  { queueId: 'dcc-callback', name: 'DCC 回访专线', storeId: 'sh-pudong', numbers: [], greetingPrompt: 'please_hold', requireDisposition: true, dispositionCodes: ['appointment_set', 'callback_requested', 'not_interested', 'bought_elsewhere', 'wrong_number'] },
];

/**
 * The demo organisation and queues the sample IVR flows (ivr/flows) name: added when missing, on
 * every start, so an older data folder gains them too. Never run in production.
 */
export async function seedDemoOrganisation(models: Models): Promise<void> {
  await unlessSeededElsewhere(models.DealerGroup.updateOne({ _id: 'demo-group' }, { $setOnInsert: { name: '华东汽车集团' } }, { upsert: true }).exec());
  const everyDay = { '1': ['09:00-18:00'], '2': ['09:00-18:00'], '3': ['09:00-18:00'], '4': ['09:00-18:00'], '5': ['09:00-18:00'], '6': ['09:00-18:00'], '7': ['09:00-18:00'] };
  await unlessSeededElsewhere(
    models.Store.updateOne(
      { _id: 'sh-pudong' },
      { $setOnInsert: { groupId: 'demo-group', name: '浦东 4S 店', city: '上海', timeZone: 'Asia/Shanghai', hours: everyDay, holidays: ['2027-01-01', '2027-02-06', '2027-02-07', '2027-02-08'] } },
      { upsert: true },
    ).exec(),
  );
  await unlessSeededElsewhere(models.Team.updateOne({ _id: 'sh-pudong-dcc' }, { $setOnInsert: { storeId: 'sh-pudong', name: '浦东 DCC', members: CALL_TAKERS.map((u) => u.username) } }, { upsert: true }).exec());
  for (const q of DEMO_QUEUES) {
    if (!(await models.Queue.exists({ queueId: q.queueId }))) await unlessSeededElsewhere(models.Queue.create(q));
  }
}

/** Several instances starting at once on one database seed it once: the others' inserts meet the unique keys. */
async function unlessSeededElsewhere(insert: Promise<unknown>): Promise<boolean> {
  try {
    await insert;
    return true;
  } catch (err) {
    if ((err as { code?: number }).code === 11000) return false;
    throw err;
  }
}

/** A first start on an empty database gets the demo organisation, queues, users and a defeated-lead customer. */
export async function seedDemoData(models: Models, now: number, log: Logger): Promise<boolean> {
  await seedDemoOrganisation(models);
  if ((await models.User.countDocuments()) > 0) return false;
  for (const u of DEMO_USERS) {
    const created = await unlessSeededElsewhere(models.User.create({
      username: u.username,
      displayName: u.displayName,
      passwordHash: await hashPassword(u.password),
      roles: [...u.roles],
      storeIds: ['sh-pudong'],
      queueIds: CALL_TAKERS.includes(u) ? DEMO_QUEUES.map((q) => q.queueId) : [],
      ...(CALL_TAKERS.includes(u) ? { extension: u.username } : {}),
    }));
    if (!created) return false; // another instance is seeding the same database
  }
  await models.Customer.create({
    name: '张伟',
    phones: ['+8613800138000'],
    gender: 'male',
    city: '上海',
    grade: 'B',
    status: 'defeated',
    defeatReason: '价格 — 竞品报价低 1.2 万',
    consent: { call: true, at: new Date(now - 40 * DAY), source: 'showroom visit form' },
    owningStoreId: 'sh-pudong',
    owningUser: '1001',
    modelsConsidered: ['Model S 长续航', 'Model Y'],
    funnel: [
      { at: new Date(now - 40 * DAY), kind: 'visit', storeId: 'sh-pudong', model: 'Model Y', grade: 'C', note: '首次到店' },
      { at: new Date(now - 33 * DAY), kind: 'test_drive', storeId: 'sh-pudong', model: 'Model S 长续航' },
      { at: new Date(now - 33 * DAY), kind: 'grade_change', grade: 'B', note: 'C→B 试驾后意向提升' },
      { at: new Date(now - 30 * DAY), kind: 'quote', storeId: 'sh-pudong', model: 'Model S 长续航', note: '报价 32.8 万' },
      { at: new Date(now - 21 * DAY), kind: 'defeat', note: '战败：竞品报价更低' },
    ],
  });
  log.info({ users: DEMO_USERS.map((u) => `${u.username}/${u.password}`) }, 'seeded demo data (store sh-pudong, queues dcc-inbound, sales, dcc-callback, demo users, customer 张伟 +8613800138000)');
  return true;
}
