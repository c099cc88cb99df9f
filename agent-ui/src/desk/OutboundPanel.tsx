import { memo, useCallback, useEffect, useState } from 'react';
import { Button, Empty, List, Segmented, Select, Space, Tag, Typography } from 'antd';
import { PhoneFilled, ReloadOutlined, StepForwardOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import type { CallbackItem, CallbackList, DeskCampaign } from '@shared/desk-api';
import type { Api } from '../shell/api';
import { GradeTag } from './ScreenPop';

export interface OutboundPanelProps {
  api: Api;
  campaigns: DeskCampaign[];
  /** The server's clock, to the minute (overdue marks). */
  now: number;
  agentState: string;
  holdingLead: boolean;
  busy: boolean;
  /** Bumped when a call ends: the lists are read again. */
  refreshKey: number;
  onNext(campaignId: string): void;
  onDialCallback(item: CallbackItem): void;
}

function dueText(iso: string, now: number, lang: string): string {
  return new Date(iso).toLocaleString(lang === 'en' ? 'en-GB' : 'zh-CN', { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', timeZone: 'Asia/Shanghai' }) + (Date.parse(iso) < now ? ' ⚠' : '');
}

/** Outbound work: the preview campaigns' next lead, and my scheduled callbacks (personal and team) with dial. */
export const OutboundPanel = memo(function OutboundPanel(p: OutboundPanelProps): React.JSX.Element {
  const { t, i18n } = useTranslation();
  const previews = p.campaigns.filter((c) => c.mode === 'preview');
  const [campaignId, setCampaignId] = useState<string | undefined>();
  const chosen = previews.find((c) => c.campaignId === campaignId) ?? previews[0];
  const [callbacks, setCallbacks] = useState<CallbackList | undefined>();
  const [scope, setScope] = useState<'personal' | 'team'>('personal');
  const [loading, setLoading] = useState(false);

  const load = useCallback(() => {
    setLoading(true);
    p.api
      .get<CallbackList>('/api/me/callbacks')
      .then(setCallbacks)
      .catch(() => setCallbacks({ personal: [], team: [] }))
      .finally(() => setLoading(false));
  }, [p.api]);
  useEffect(() => load(), [load, p.refreshKey]);

  const list = callbacks ? callbacks[scope] : [];
  const canDial = ['ready', 'not_ready'].includes(p.agentState) && !p.holdingLead && !p.busy;

  if (p.campaigns.length === 0) return <Empty className="tab-empty" description={t('outbound.noCampaigns')} />;

  return (
    <div className="outbound" data-testid="outbound-panel">
      {previews.length > 0 && (
        <div className="field">
          <div className="field-label">
            {t('outbound.campaign')} · {t('outbound.mode.preview')}
          </div>
          <Space.Compact style={{ width: '100%' }}>
            <Select data-testid="preview-campaign" style={{ flex: 1 }} value={chosen?.campaignId} onChange={setCampaignId} options={previews.map((c) => ({ value: c.campaignId, label: c.name }))} />
            <Button data-testid="preview-next" type="primary" icon={<StepForwardOutlined />} disabled={!chosen || p.holdingLead || p.agentState !== 'ready'} onClick={() => chosen && p.onNext(chosen.campaignId)}>
              {t('outbound.next')}
            </Button>
          </Space.Compact>
        </div>
      )}
      <div className="field">
        <div className="callbacks-head">
          <Typography.Text strong>{t('outbound.callbacks')}</Typography.Text>
          <Space>
            <Segmented
              size="small"
              value={scope}
              onChange={(v) => setScope(v as 'personal' | 'team')}
              options={[
                { value: 'personal', label: `${t('outbound.personal')} ${callbacks?.personal.length ?? 0}` },
                { value: 'team', label: `${t('outbound.team')} ${callbacks?.team.length ?? 0}` },
              ]}
            />
            <Button size="small" type="text" icon={<ReloadOutlined />} onClick={load} aria-label={t('outbound.refresh')} />
          </Space>
        </div>
        <List
          data-testid="callbacks"
          size="small"
          loading={loading}
          locale={{ emptyText: t('outbound.noCallbacks') }}
          dataSource={list}
          renderItem={(item) => (
            <List.Item
              data-testid={`callback-${item.leadId}`}
              actions={[
                <Button key="dial" size="small" type="primary" ghost icon={<PhoneFilled />} disabled={!canDial} onClick={() => p.onDialCallback(item)}>
                  {t('outbound.dial')}
                </Button>,
              ]}
            >
              <List.Item.Meta
                title={
                  <Space size={6}>
                    <span>{item.name ?? item.phone}</span>
                    <GradeTag grade={item.grade} />
                    {Date.parse(item.dueAt) < p.now && <Tag color="red">{t('outbound.overdue')}</Tag>}
                  </Space>
                }
                description={
                  <span className="small">
                    <span className="mono">{item.phone}</span> · {item.campaignName} · {t('outbound.due')} {dueText(item.dueAt, p.now, i18n.language)}
                  </span>
                }
              />
            </List.Item>
          )}
        />
      </div>
    </div>
  );
});
