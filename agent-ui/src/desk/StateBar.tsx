import { Badge, Button, Dropdown, Popover, Space, Tag, Tooltip, Typography } from 'antd';
import { BellOutlined, CheckCircleFilled, ClockCircleOutlined, CoffeeOutlined, DownOutlined, PlusCircleOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { useServerNow } from './hooks';
import type { AgentStatus } from '@shared/agent-events';
import type { PhoneStatus } from '../phone/softphone';
import type { SoftphoneMode } from '@shared/desk-api';
import { clockText, type CallView, type DeskState } from './model';

const STATE_COLOR: Record<string, string> = {
  ready: 'success',
  not_ready: 'warning',
  reserved: 'processing',
  ringing: 'processing',
  talking: 'blue',
  hold: 'purple',
  wrap_up: 'gold',
  outbound: 'cyan',
  logged_out: 'default',
};

export interface StateBarProps {
  status: AgentStatus | undefined;
  /** Reserved for a preview lead (not for an inbound offer). */
  previewing: boolean;
  call: CallView | undefined;
  /** Server clock minus the browser's: the bar ticks on its own, once a second. */
  serverOffset: number;
  reasons: string[];
  phone: { mode: SoftphoneMode; status: PhoneStatus };
  notices: DeskState['notices'];
  noticeText: (n: DeskState['notices'][number]) => string;
  onReady(): void;
  onNotReady(reason: string): void;
  onExtend(seconds: number): void;
  onClearNotices(): void;
}

/** 就绪 / 小休 (with the configured reasons) / 话后整理 with its countdown and extend; time in state from the server's clock. */
export function StateBar(p: StateBarProps): React.JSX.Element {
  const { t } = useTranslation();
  const now = useServerNow(p.serverOffset);
  const s = p.status;
  const state = s?.state ?? 'logged_out';
  const inState = s ? clockText(now - s.since) : '--:--';
  const wrapLeft = state === 'wrap_up' && p.call?.wrapUpUntil ? Math.max(0, p.call.wrapUpUntil - now) : undefined;
  const reasonText = s?.reason && state === 'not_ready' ? t(`reasons.${s.reason}`, { defaultValue: s.reason }) : undefined;
  const busy = ['reserved', 'ringing', 'talking', 'hold', 'outbound'].includes(state);
  const phoneLabel = t(`phone.mode.${p.phone.mode}`);
  const phoneOk = p.phone.status === 'registered' || p.phone.status === 'sim';

  return (
    <div className="state-bar" data-testid="state-bar">
      <Space size={12} align="center">
        <Tag data-testid="agent-state" data-state={state} color={STATE_COLOR[state]} className="state-tag">
          {state === 'reserved' && p.previewing ? t('stateBar.previewing') : t(`states.${state}`)}
        </Tag>
        {reasonText && (
          <Typography.Text data-testid="state-reason" type="secondary">
            {reasonText}
          </Typography.Text>
        )}
        <Typography.Text type="secondary">
          <ClockCircleOutlined /> {t('stateBar.inState')} <span data-testid="time-in-state" className="mono">{inState}</span>
        </Typography.Text>
        {wrapLeft !== undefined && (
          <Space size={6}>
            <Tag color="gold" className="mono" data-testid="wrap-up-countdown">
              {t('stateBar.wrapUpLeft')} {clockText(wrapLeft)}
            </Tag>
            <Button size="small" data-testid="extend-wrap-up" icon={<PlusCircleOutlined />} onClick={() => p.onExtend(30)}>
              {t('stateBar.extend', { s: 30 })}
            </Button>
          </Space>
        )}
      </Space>
      <Space size={10} align="center">
        <Tooltip title={t(`phone.status.${p.phone.status}`)}>
          <Tag data-testid="phone-mode" data-mode={p.phone.mode} color={phoneOk ? 'green' : p.phone.status === 'failed' ? 'red' : 'default'}>
            {t('phone.title')} · {phoneLabel}
          </Tag>
        </Tooltip>
        <Popover
          trigger="click"
          placement="bottomRight"
          title={t('shell.notifications')}
          content={
            <div className="notice-list" data-testid="notice-list">
              {p.notices.length === 0 ? (
                <Typography.Text type="secondary">{t('shell.noNotifications')}</Typography.Text>
              ) : (
                p.notices.map((n) => (
                  <div key={`${n.callId}:${n.receivedAt}`} className="notice-item">
                    <Typography.Text strong>{t('notices.appointmentTitle')}</Typography.Text>
                    <div>{p.noticeText(n)}</div>
                  </div>
                ))
              )}
            </div>
          }
          onOpenChange={(open) => !open && p.onClearNotices()}
        >
          <Badge count={p.notices.length} size="small">
            <Button data-testid="notices" type="text" icon={<BellOutlined />} aria-label={t('shell.notifications')} />
          </Badge>
        </Popover>
        <Button
          data-testid="ready"
          type={state === 'ready' ? 'default' : 'primary'}
          icon={<CheckCircleFilled />}
          disabled={busy || state === 'ready'}
          onClick={p.onReady}
          title="F2"
        >
          {t('stateBar.ready')}
        </Button>
        <Dropdown
          disabled={busy}
          trigger={['click']}
          menu={{
            items: p.reasons.map((r) => ({ key: r, label: <span data-testid={`reason-${r}`}>{t(`reasons.${r}`, { defaultValue: r })}</span> })),
            onClick: ({ key }) => p.onNotReady(key),
          }}
        >
          <Button data-testid="not-ready" icon={<CoffeeOutlined />} title="F3">
            {t('stateBar.notReady')} <DownOutlined />
          </Button>
        </Dropdown>
      </Space>
    </div>
  );
}
