import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { App, Button, Card, Col, Descriptions, Drawer, Form, Input, InputNumber, Row, Select, Space, Statistic, Table, Tag, TimePicker } from 'antd';
import { EditOutlined, EyeOutlined, PauseOutlined, PlayCircleOutlined, PlusOutlined, StopOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import { useTranslation } from 'react-i18next';
import { errorText } from '../i18n';
import { ApiFailure } from '../shell/api';
import { useShell } from '../shell/context';
import type { CampaignDef, CampaignLive, LeadList, UserView } from './console-api';

const AbandonGauge = lazy(() => import('./AbandonGauge'));
const STATUS_COLOR: Record<string, string> = { draft: 'default', running: 'green', paused: 'orange', stopped: 'red', exhausted: 'purple' };

interface FormValues {
  campaignId: string;
  name: string;
  storeIds: string[];
  mode: CampaignDef['mode'];
  callerId: string;
  listIds: string[];
  agents: string[];
  hours: [dayjs.Dayjs, dayjs.Dayjs];
  abandonLimitPct: number;
  recycleOutcomes: string[];
  recycleDays: number;
}

/** Campaigns: list with start/pause/stop, create and edit form, live view with the abandon gauges. */
export function CampaignsView(): React.JSX.Element {
  const { api, me } = useShell();
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [rows, setRows] = useState<CampaignDef[]>([]);
  const [editing, setEditing] = useState<CampaignDef | 'new' | undefined>();
  const [watching, setWatching] = useState<string | undefined>();
  const [lists, setLists] = useState<LeadList[]>([]);
  const [users, setUsers] = useState<UserView[]>([]);
  const [form] = Form.useForm<FormValues>();
  const fail = useCallback((err: unknown) => void message.error(err instanceof ApiFailure ? errorText(t, err.code, err.message) : String(err)), [message, t]);

  const load = useCallback(() => api.get<CampaignDef[]>('/api/campaigns').then(setRows).catch(fail), [api, fail]);
  useEffect(() => {
    void load();
    api.get<LeadList[]>('/api/lead-lists').then(setLists).catch(fail);
    api.get<UserView[]>('/api/users?active=true').then(setUsers).catch(fail);
  }, [api, load, fail]);

  const act = (id: string, action: 'start' | 'pause' | 'stop'): void => {
    api
      .post(`/api/campaigns/${id}/${action}`, undefined)
      .then(() => message.success(t(`console.campaigns.done.${action}`)))
      .then(load)
      .catch(fail);
  };

  const openForm = (c: CampaignDef | 'new'): void => {
    setEditing(c);
    const d = c === 'new' ? undefined : c;
    form.setFieldsValue({
      campaignId: d?.campaignId ?? '',
      name: d?.name ?? '',
      storeIds: d?.storeIds ?? me.stores.map((s) => s.storeId).slice(0, 1),
      mode: d?.mode ?? 'progressive',
      callerId: d?.callerId ?? '',
      listIds: d?.listIds ?? [],
      agents: d?.agents ?? [],
      hours: [dayjs(d?.window?.from ?? '09:00', 'HH:mm'), dayjs(d?.window?.to ?? '20:00', 'HH:mm')],
      abandonLimitPct: (d?.abandonLimit ?? 0.03) * 100,
      recycleOutcomes: d?.recycle?.outcomes ?? ['no_answer', 'busy'],
      recycleDays: d?.recycle?.olderThanDays ?? 7,
    });
  };

  const save = async (): Promise<void> => {
    const v = await form.validateFields();
    const body = {
      name: v.name,
      mode: v.mode,
      callerId: v.callerId,
      listIds: v.listIds,
      agents: v.agents,
      window: { days: [1, 2, 3, 4, 5, 6, 7], from: v.hours[0].format('HH:mm'), to: v.hours[1].format('HH:mm'), holidays: [] },
      abandonLimit: Number((v.abandonLimitPct / 100).toFixed(4)),
      recycle: { outcomes: v.recycleOutcomes, olderThanDays: v.recycleDays },
    };
    try {
      if (editing === 'new') await api.post('/api/campaigns', { campaignId: v.campaignId, storeIds: v.storeIds, ...body });
      else if (editing) {
        const running = editing.status === 'running';
        const { mode: _m, listIds: _l, ...safe } = body;
        await api.request('PATCH', `/api/campaigns/${editing.campaignId}`, running ? safe : body);
      }
      message.success(t('console.saved'));
      setEditing(undefined);
      await load();
    } catch (err) {
      fail(err);
    }
  };

  return (
    <Card
      title={t('console.campaigns.title')}
      extra={
        <Button type="primary" icon={<PlusOutlined />} onClick={() => openForm('new')} data-testid="campaign-new">
          {t('console.campaigns.new')}
        </Button>
      }
    >
      <Table<CampaignDef>
        rowKey="campaignId"
        size="small"
        dataSource={rows}
        pagination={{ pageSize: 12 }}
        columns={[
          { title: t('console.campaigns.id'), dataIndex: 'campaignId' },
          { title: t('console.campaigns.name'), dataIndex: 'name' },
          { title: t('console.campaigns.mode'), dataIndex: 'mode', render: (m: string) => t(`console.campaigns.modes.${m}`) },
          { title: t('console.campaigns.status'), dataIndex: 'status', render: (s: string) => <Tag color={STATUS_COLOR[s]} data-testid={`status-${s}`}>{t(`console.campaigns.statuses.${s}`)}</Tag> },
          { title: t('console.campaigns.lists'), dataIndex: 'listIds', render: (l: string[]) => l.join(', ') },
          { title: t('console.campaigns.agents'), dataIndex: 'agents', render: (a: string[]) => a.length },
          {
            title: t('console.actions'),
            key: 'actions',
            render: (_: unknown, c) => (
              <Space size={4}>
                {c.status !== 'running' && <Button size="small" type="primary" icon={<PlayCircleOutlined />} onClick={() => act(c.campaignId, 'start')} data-testid={`start-${c.campaignId}`}>{t('console.campaigns.start')}</Button>}
                {c.status === 'running' && <Button size="small" icon={<PauseOutlined />} onClick={() => act(c.campaignId, 'pause')}>{t('console.campaigns.pause')}</Button>}
                {(c.status === 'running' || c.status === 'paused') && <Button size="small" danger icon={<StopOutlined />} onClick={() => act(c.campaignId, 'stop')}>{t('console.campaigns.stop')}</Button>}
                <Button size="small" icon={<EditOutlined />} onClick={() => openForm(c)}>{t('console.edit')}</Button>
                <Button size="small" icon={<EyeOutlined />} onClick={() => setWatching(c.campaignId)} data-testid={`live-${c.campaignId}`}>{t('console.campaigns.live')}</Button>
              </Space>
            ),
          },
        ]}
      />
      <Drawer open={editing !== undefined} width={520} title={editing === 'new' ? t('console.campaigns.new') : t('console.campaigns.edit')} onClose={() => setEditing(undefined)} extra={<Button type="primary" onClick={() => void save()} data-testid="campaign-save">{t('console.save')}</Button>} destroyOnHidden>
        <Form form={form} layout="vertical" requiredMark={false}>
          <Row gutter={12}>
            <Col span={12}>
              <Form.Item name="campaignId" label={t('console.campaigns.id')} rules={[{ required: true, pattern: /^[a-z0-9][a-z0-9-]{0,59}$/, message: t('console.idRule') }]}>
                <Input disabled={editing !== 'new'} data-testid="f-campaignId" />
              </Form.Item>
            </Col>
            <Col span={12}>
              <Form.Item name="name" label={t('console.campaigns.name')} rules={[{ required: true }]}>
                <Input data-testid="f-name" />
              </Form.Item>
            </Col>
            <Col span={12}>
              <Form.Item name="storeIds" label={t('console.store')} rules={[{ required: true }]}>
                <Select mode="multiple" disabled={editing !== 'new'} options={me.stores.map((s) => ({ value: s.storeId, label: s.name }))} />
              </Form.Item>
            </Col>
            <Col span={12}>
              <Form.Item name="mode" label={t('console.campaigns.mode')}>
                <Select options={['preview', 'progressive', 'predictive'].map((m) => ({ value: m, label: t(`console.campaigns.modes.${m}`) }))} />
              </Form.Item>
            </Col>
            <Col span={12}>
              <Form.Item name="callerId" label={t('console.campaigns.callerId')} rules={[{ required: true, pattern: /^\+?[0-9]{5,20}$/, message: t('console.phoneRule') }]}>
                <Input data-testid="f-callerId" />
              </Form.Item>
            </Col>
            <Col span={12}>
              <Form.Item name="hours" label={t('console.campaigns.window')}>
                <TimePicker.RangePicker format="HH:mm" minuteStep={15} />
              </Form.Item>
            </Col>
          </Row>
          <Form.Item name="listIds" label={t('console.campaigns.lists')} rules={[{ required: true }]}>
            <Select mode="multiple" data-testid="f-lists" options={lists.map((l) => ({ value: l.listId, label: `${l.name} (${l.leads})` }))} />
          </Form.Item>
          <Form.Item name="agents" label={t('console.campaigns.agents')}>
            <Select mode="multiple" data-testid="f-agents" options={users.filter((u) => u.roles.some((r) => r === 'agent' || r === 'supervisor')).map((u) => ({ value: u.username, label: `${u.displayName} (${u.username})` }))} />
          </Form.Item>
          <Row gutter={12}>
            <Col span={8}>
              <Form.Item name="abandonLimitPct" label={t('console.campaigns.abandonLimit')}>
                <InputNumber min={0} max={3} step={0.5} addonAfter="%" style={{ width: '100%' }} />
              </Form.Item>
            </Col>
            <Col span={10}>
              <Form.Item name="recycleOutcomes" label={t('console.campaigns.recycle')}>
                <Select mode="multiple" options={['no_answer', 'busy', 'machine', 'failed', 'abandoned'].map((o) => ({ value: o, label: t(`console.outcomes.${o}`) }))} />
              </Form.Item>
            </Col>
            <Col span={6}>
              <Form.Item name="recycleDays" label={t('console.campaigns.recycleDays')}>
                <InputNumber min={0} max={365} style={{ width: '100%' }} />
              </Form.Item>
            </Col>
          </Row>
        </Form>
      </Drawer>
      <Drawer open={watching !== undefined} width={620} title={t('console.campaigns.liveTitle', { id: watching ?? '' })} onClose={() => setWatching(undefined)} destroyOnHidden>
        {watching && (
          <Suspense fallback={null}>
            <LiveView campaignId={watching} limit={rows.find((r) => r.campaignId === watching)?.abandonLimit ?? 0.03} />
          </Suspense>
        )}
      </Drawer>
    </Card>
  );
}

/** The live view, refreshed every 2 s while open. */
function LiveView({ campaignId, limit }: { campaignId: string; limit: number }): React.JSX.Element {
  const { api } = useShell();
  const { t } = useTranslation();
  const [live, setLive] = useState<CampaignLive | undefined>();
  useEffect(() => {
    let stopped = false;
    const tick = (): void => {
      api
        .get<CampaignLive>(`/api/campaigns/${campaignId}`)
        .then((l) => !stopped && setLive(l))
        .catch(() => undefined);
    };
    tick();
    const timer = setInterval(tick, 2000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [api, campaignId]);
  if (!live) return <span />;
  return (
    <div data-testid="campaign-live">
      <Row gutter={12}>
        <Col span={6}><Statistic title={t('console.campaigns.dialLevel')} value={live.dialLevel} precision={2} /></Col>
        <Col span={6}><Statistic title={t('console.campaigns.inProgress')} value={live.callsInProgress} /></Col>
        <Col span={6}><Statistic title={t('console.campaigns.placed')} value={live.placed} /></Col>
        <Col span={6}><Statistic title={t('console.campaigns.answerRate')} value={live.answerRate * 100} precision={1} suffix="%" /></Col>
      </Row>
      <Row gutter={12} style={{ marginTop: 12 }}>
        <Col span={12}><AbandonGauge rate={live.abandonRateToday} limit={limit} title={t('console.campaigns.abandonToday')} testId="gauge-today" /></Col>
        <Col span={12}><AbandonGauge rate={live.abandonRate30d} limit={limit} title={t('console.campaigns.abandon30d')} testId="gauge-30d" /></Col>
      </Row>
      <Descriptions size="small" bordered column={1} style={{ marginTop: 8 }}>
        <Descriptions.Item label={t('console.campaigns.status')}><Tag color={STATUS_COLOR[live.status]} data-testid="live-status">{t(`console.campaigns.statuses.${live.status}`)}</Tag></Descriptions.Item>
        <Descriptions.Item label={t('console.campaigns.agentsByState')}>
          <Space wrap>
            {Object.entries(live.agentsByState).map(([state, n]) => (
              <Tag key={state}>{t(`states.${state}`, { defaultValue: state })} · {n}</Tag>
            ))}
          </Space>
        </Descriptions.Item>
      </Descriptions>
    </div>
  );
}
