import { useCallback, useEffect, useState } from 'react';
import { App, Button, Card, Input, Popconfirm, Select, Space, Table } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { errorText } from '../i18n';
import { ApiFailure } from '../shell/api';
import { useShell } from '../shell/context';
import type { CampaignDef } from './console-api';

/** Do-not-call numbers: the global list (admins change it) or a campaign's; add many at once, search, remove. */
export default function DncView(): React.JSX.Element {
  const { api, me } = useShell();
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [campaigns, setCampaigns] = useState<CampaignDef[]>([]);
  const [scope, setScope] = useState<string>('global');
  const [page, setPage] = useState(1);
  const [contains, setContains] = useState('');
  const [data, setData] = useState<{ total: number; phones: string[] }>({ total: 0, phones: [] });
  const [adding, setAdding] = useState('');
  const admin = me.roles.includes('admin');
  const fail = useCallback((err: unknown) => void message.error(err instanceof ApiFailure ? errorText(t, err.code, err.message) : String(err)), [message, t]);
  const load = useCallback(() => {
    const qs = new URLSearchParams({ page: String(page), limit: '15', ...(scope !== 'global' ? { campaignId: scope } : {}), ...(contains ? { contains } : {}) });
    api.get<{ total: number; phones: string[] }>(`/api/dnc?${qs.toString()}`).then(setData).catch(fail);
  }, [api, page, scope, contains, fail]);
  useEffect(() => load(), [load]);
  useEffect(() => {
    api.get<CampaignDef[]>('/api/campaigns').then((c) => {
      setCampaigns(c);
      if (!admin && c[0]) setScope(c[0].campaignId);
    }).catch(fail);
  }, [api, admin, fail]);
  const body = (phones: string[], remove: boolean) => ({ scope: scope === 'global' ? 'global' : { campaignId: scope }, phones, remove });
  const add = (): void => {
    const phones = adding.split(/[\s,;，；]+/).map((p) => p.trim()).filter(Boolean);
    if (phones.length === 0) return;
    api
      .post<{ added: number; rejected: { phone: string }[] }>('/api/dnc', body(phones, false))
      .then((r) => {
        message.success(t('console.dnc.added', { n: r.added }));
        if (r.rejected.length > 0) message.warning(t('console.dnc.rejected', { list: r.rejected.map((x) => x.phone).join(', ') }));
        setAdding('');
        load();
      })
      .catch(fail);
  };
  const readOnly = scope === 'global' && !admin;
  return (
    <Card title={t('console.dnc.title')} extra={<Select value={scope} style={{ width: 240 }} onChange={(s) => { setPage(1); setScope(s); }} options={[{ value: 'global', label: t('console.dnc.global') }, ...campaigns.map((c) => ({ value: c.campaignId, label: `${t('console.dnc.campaign')} · ${c.name}` }))]} />}>
      <Space style={{ marginBottom: 12 }} wrap>
        <Input.TextArea value={adding} onChange={(e) => setAdding(e.target.value)} disabled={readOnly} placeholder={t('console.dnc.addHint')} autoSize={{ minRows: 1, maxRows: 4 }} style={{ width: 420 }} data-testid="dnc-input" />
        <Button type="primary" icon={<PlusOutlined />} disabled={readOnly} onClick={add} data-testid="dnc-add">{t('console.dnc.add')}</Button>
        <Input.Search allowClear placeholder={t('console.dnc.search')} onSearch={(v) => { setPage(1); setContains(v.replace(/[^0-9+]/g, '')); }} style={{ width: 220 }} />
      </Space>
      <Table
        rowKey={(p) => p}
        size="small"
        dataSource={data.phones}
        pagination={{ current: page, pageSize: 15, total: data.total, onChange: setPage, showTotal: (n) => t('console.total', { n }) }}
        columns={[
          { title: t('console.leads.phone'), render: (_: unknown, p: string) => <span className="mono">{p}</span> },
          {
            title: t('console.actions'),
            width: 120,
            render: (_: unknown, p: string) => (
              <Popconfirm title={t('console.dnc.removeConfirm')} onConfirm={() => api.post('/api/dnc', body([p], true)).then(load).catch(fail)} disabled={readOnly}>
                <Button size="small" danger disabled={readOnly}>{t('console.remove')}</Button>
              </Popconfirm>
            ),
          },
        ]}
      />
    </Card>
  );
}
