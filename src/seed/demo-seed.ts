import { hashPassword } from '../auth/passwords';
import type { Logger } from '../log';
import type { Models } from '../store/models';

const DAY = 24 * 3600 * 1000;

/** Demo accounts for the embedded default; printed at start-up and in README. Never seeded in production. */
export const DEMO_USERS = [
  { username: '1001', password: 'demo1001', displayName: '王丽 (DCC 呼入)', roles: ['agent'] as const },
  { username: '1002', password: 'demo1002', displayName: '李强 (DCC 回访)', roles: ['agent'] as const },
  { username: 'super', password: 'demosuper', displayName: '赵敏 (主管)', roles: ['supervisor'] as const },
];

/** A first start on an empty database gets one queue, demo users and a defeated-lead customer. */
export async function seedDemoData(models: Models, now: number, log: Logger): Promise<boolean> {
  if ((await models.User.countDocuments()) > 0) return false;
  await models.Queue.create({
    queueId: 'dcc-inbound',
    name: 'DCC 呼入',
    storeId: 'sh-pudong',
    numbers: ['4008001234', '02158001234'],
    greetingPrompt: 'welcome',
  });
  for (const u of DEMO_USERS) {
    await models.User.create({
      username: u.username,
      displayName: u.displayName,
      passwordHash: await hashPassword(u.password),
      roles: [...u.roles],
      storeIds: ['sh-pudong'],
      queueIds: ['dcc-inbound'],
      extension: u.username,
    });
  }
  await models.Customer.create({
    name: '张伟',
    phones: ['+8613800138000'],
    gender: 'male',
    city: '上海',
    grade: 'B',
    status: 'defeated',
    defeatReason: '价格 — 竞品报价低 1.2 万',
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
  log.info({ users: DEMO_USERS.map((u) => `${u.username}/${u.password}`) }, 'seeded demo data (queue dcc-inbound, demo users, customer 张伟 +8613800138000)');
  return true;
}
