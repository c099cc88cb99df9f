import { createHash } from 'node:crypto';
import type { Models } from '../store/models';
import type { AssistModels } from './assist-models';

/**
 * Demo data of the in-car assistant (never in production): the 7×24 assistant queue with its overflow
 * queue, store positions, three members and their cars. The demo cars' credentials are fixed so the
 * README can name them: SIP secret demo-<last 4 of the VIN>, HTTP token <VIN>.demo-token.
 */
export const DEMO_VEHICLES = [
  { vin: 'LSVAU2180N2183294', memberId: 'm-zhang', model: '帕萨特 2023 款 380TSI', plate: '沪A·D2918', color: '星空蓝' },
  { vin: 'LFV3A28K8P3012345', memberId: 'm-li', model: 'ID.4 CROZZ', plate: '沪B·F0931', color: '极光白' },
  { vin: 'LHGCV1658K8041234', memberId: 'm-wang', model: '途观 L', plate: '苏E·7K301', color: '曜石黑' },
] as const;

export const DEMO_SITES = [
  { _id: 'sh-pudong', name: '浦东 4S 店', city: '上海', phone: '021-58001234', position: { lat: 31.2215, lon: 121.5443 } },
  { _id: 'sh-minhang', name: '闵行 4S 店', city: '上海', phone: '021-64001234', position: { lat: 31.1126, lon: 121.3817 } },
  { _id: 'sh-jiading', name: '嘉定 4S 店', city: '上海', phone: '021-59001234', position: { lat: 31.3747, lon: 121.2650 } },
  { _id: 'sz-gongye', name: '苏州园区 4S 店', city: '苏州', phone: '0512-62001234', position: { lat: 31.3170, lon: 120.6720 } },
  { _id: 'hz-xihu', name: '杭州西湖 4S 店', city: '杭州', phone: '0571-87001234', position: { lat: 30.2590, lon: 120.1300 } },
  { _id: 'nj-jianye', name: '南京建邺 4S 店', city: '南京', phone: '025-86001234', position: { lat: 32.0040, lon: 118.7320 } },
  { _id: 'bj-chaoyang', name: '北京朝阳 4S 店', city: '北京', phone: '010-85001234', position: { lat: 39.9219, lon: 116.4436 } },
  { _id: 'gz-tianhe', name: '广州天河 4S 店', city: '广州', phone: '020-38001234', position: { lat: 23.1350, lon: 113.3290 } },
  { _id: 'cd-gaoxin', name: '成都高新 4S 店', city: '成都', phone: '028-85001234', position: { lat: 30.5728, lon: 104.0668 } },
];

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

export async function seedAssistDemo(models: Models, a: AssistModels, realm: string, now: number): Promise<void> {
  // the assistants' own centre: its agents may dial any mainland number (concierge calls)
  await models.Store.updateOne({ _id: 'assist-center' }, { $setOnInsert: { groupId: 'demo-group', name: '车主一键通服务中心', city: '上海', timeZone: 'Asia/Shanghai', transferAllow: ['+86'] } }, { upsert: true }).catch(ignoreDuplicate);
  const queues = [
    { queueId: 'assist-7x24', name: '车主一键通 7×24', storeId: 'assist-center', numbers: [], greetingPrompt: 'please_hold', maxWaitMs: 60_000, overflow: { kind: 'queue', queueId: 'assist-backup' }, dispositionCodes: ['navigation_sent', 'roadside_dispatched', 'concierge_done', 'emergency_handled', 'theft_handled', 'info_given'] },
    { queueId: 'assist-backup', name: '车主一键通 后备组', storeId: 'assist-center', numbers: [], greetingPrompt: 'please_hold', dispositionCodes: ['navigation_sent', 'roadside_dispatched', 'concierge_done', 'emergency_handled', 'theft_handled', 'info_given'] },
  ];
  for (const q of queues) if (!(await models.Queue.exists({ queueId: q.queueId }))) await models.Queue.create(q).catch(ignoreDuplicate);
  await models.User.updateMany({ username: { $in: ['1001', '1002', 'super'] } }, { $addToSet: { queueIds: { $each: queues.map((q) => q.queueId) } } });
  for (const s of DEMO_SITES) await a.Site.updateOne({ _id: s._id }, { $setOnInsert: s }, { upsert: true }).catch(ignoreDuplicate);
  const day = 86_400_000;
  const members = [
    {
      _id: 'm-zhang',
      name: '张伟',
      phones: ['+8613800138000'],
      level: '金卡',
      points: 12_800,
      storeId: 'sh-pudong',
      consultant: '1001',
      emergencyContact: { name: '李娜 (妻子)', phone: '+8613900139000' },
      savedNumbers: [{ label: '公司前台', number: '+862150001234' }, { label: '浦东 4S 店服务顾问', number: '+862158001234' }],
      savedAddresses: [{ label: '家', address: '上海市浦东新区张杨路 1888 弄', position: { lat: 31.2304, lon: 121.5286 } }, { label: '公司', address: '上海市徐汇区漕河泾开发区 宜山路 700 号' }],
      reminders: [{ text: '保养到期：45,000 公里常规保养', due: new Date(now + 9 * day) }, { text: '交强险续保', due: new Date(now + 21 * day) }],
      serviceHistory: [{ at: new Date(now - 120 * day), what: '30,000 公里保养' }, { at: new Date(now - 40 * day), what: '更换前刹车片' }],
    },
    { _id: 'm-li', name: '李静', phones: ['+8613700137000'], level: '白金卡', points: 40_210, storeId: 'sh-pudong', consultant: '1002', emergencyContact: { name: '李强 (哥哥)', phone: '+8613600136000' }, savedNumbers: [], savedAddresses: [], reminders: [], serviceHistory: [] },
    { _id: 'm-wang', name: '王磊', phones: ['+8613500135000'], level: '普卡', points: 860, storeId: 'sh-pudong', consultant: null, emergencyContact: null, savedNumbers: [], savedAddresses: [], reminders: [], serviceHistory: [] },
  ];
  for (const m of members) await a.Member.updateOne({ _id: m._id }, { $setOnInsert: m }, { upsert: true }).catch(ignoreDuplicate);
  for (const v of DEMO_VEHICLES) {
    const secret = `demo-${v.vin.slice(-4)}`;
    const doc = { _id: v.vin, memberId: v.memberId, storeId: 'sh-pudong', model: v.model, plate: v.plate, color: v.color, enabled: true, sipHa1: md5(`${v.vin}:${realm}:${secret}`), tokenHash: sha256(`${v.vin}.demo-token`), credentialsVersion: 1, callbackUri: `vehicle:${v.vin}` };
    await a.Device.updateOne({ _id: v.vin }, { $setOnInsert: doc }, { upsert: true }).catch(ignoreDuplicate);
  }
}

function ignoreDuplicate(err: unknown): void {
  if ((err as { code?: number }).code !== 11000) throw err;
}
