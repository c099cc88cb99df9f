import { useEffect, useMemo, useState } from 'react';
import { Badge, Input, List, Modal, Radio, Segmented, Space, Typography } from 'antd';
import { SearchOutlined, UserOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import type { Colleague } from '@shared/desk-api';
import type { Api } from '../shell/api';

export type TransferTarget = { agent: string } | { number: string };

const PRESENCE: Record<string, 'success' | 'warning' | 'processing' | 'default' | 'error'> = {
  ready: 'success',
  not_ready: 'warning',
  talking: 'error',
  hold: 'error',
  ringing: 'processing',
  reserved: 'processing',
  wrap_up: 'warning',
  outbound: 'error',
  logged_out: 'default',
};

/** Blind or consult transfer to a colleague (with presence) or to a number. */
export function TransferDialog({ open, api, onClose, onTransfer }: { open: boolean; api: Api; onClose: () => void; onTransfer: (to: TransferTarget, mode: 'blind' | 'consult') => void }): React.JSX.Element {
  const { t } = useTranslation();
  const [colleagues, setColleagues] = useState<Colleague[]>([]);
  const [target, setTarget] = useState<'colleague' | 'number'>('colleague');
  const [chosen, setChosen] = useState<string | undefined>();
  const [number, setNumber] = useState('');
  const [mode, setMode] = useState<'blind' | 'consult'>('consult');
  const [search, setSearch] = useState('');

  useEffect(() => {
    if (!open) return;
    setChosen(undefined);
    api
      .get<Colleague[]>('/api/me/colleagues')
      .then(setColleagues)
      .catch(() => setColleagues([]));
  }, [open, api]);

  const shown = useMemo(() => colleagues.filter((c) => !search || c.displayName.includes(search) || c.username.includes(search) || (c.extension ?? '').includes(search)), [colleagues, search]);
  const ready = target === 'colleague' ? !!chosen : number.replace(/\D/g, '').length >= 3;

  return (
    <Modal
      open={open}
      title={t('transfer.title')}
      onCancel={onClose}
      okText={t('transfer.start')}
      cancelText={t('common.cancel')}
      okButtonProps={{ disabled: !ready, id: 'transfer-start' }}
      onOk={() => onTransfer(target === 'colleague' ? { agent: chosen as string } : { number: number.trim() }, mode)}
      width={520}
      destroyOnHidden
    >
      <Space direction="vertical" style={{ width: '100%' }} size={12}>
        <Segmented
          block
          value={target}
          onChange={(v) => setTarget(v as 'colleague' | 'number')}
          options={[
            { value: 'colleague', label: t('transfer.toColleague') },
            { value: 'number', label: <span data-testid="transfer-to-number">{t('transfer.toNumber')}</span> },
          ]}
        />
        {target === 'colleague' ? (
          <>
            <Input allowClear prefix={<SearchOutlined />} placeholder={t('transfer.search')} value={search} onChange={(e) => setSearch(e.target.value)} />
            <List
              className="colleague-list"
              data-testid="colleagues"
              size="small"
              bordered
              locale={{ emptyText: t('transfer.none') }}
              dataSource={shown}
              renderItem={(c) => (
                <List.Item data-testid={`colleague-${c.username}`} className={chosen === c.username ? 'colleague selected' : 'colleague'} onClick={() => setChosen(c.username)}>
                  <Space>
                    <UserOutlined />
                    <Typography.Text strong>{c.displayName}</Typography.Text>
                    <Typography.Text type="secondary">{c.extension ? t('shell.extension', { ext: c.extension }) : c.username}</Typography.Text>
                    <Typography.Text type="secondary">{c.roles.map((r) => t(`roles.${r}`)).join('/')}</Typography.Text>
                  </Space>
                  <Badge status={PRESENCE[c.state] ?? 'default'} text={t(`states.${c.state}`, { defaultValue: c.state })} />
                </List.Item>
              )}
            />
          </>
        ) : (
          <Input data-testid="transfer-number" size="large" placeholder={t('transfer.number')} value={number} onChange={(e) => setNumber(e.target.value)} inputMode="tel" />
        )}
        <Radio.Group value={mode} onChange={(e) => setMode(e.target.value as 'blind' | 'consult')}>
          <Space direction="vertical">
            <Radio value="consult" data-testid="mode-consult">
              {t('transfer.consult')} <Typography.Text type="secondary">— {t('transfer.consultHint')}</Typography.Text>
            </Radio>
            <Radio value="blind" data-testid="mode-blind">
              {t('transfer.blind')} <Typography.Text type="secondary">— {t('transfer.blindHint')}</Typography.Text>
            </Radio>
          </Space>
        </Radio.Group>
      </Space>
    </Modal>
  );
}
