import { useState } from 'react';
import { Alert, Button, Card, Input, Select, Space, Tag, Tooltip, Typography } from 'antd';
import {
  AudioMutedOutlined,
  AudioOutlined,
  EyeInvisibleOutlined,
  PauseCircleOutlined,
  PhoneFilled,
  PlayCircleOutlined,
  SwapOutlined,
  NumberOutlined,
  CloseOutlined,
  CheckOutlined,
  SoundOutlined,
  TeamOutlined,
} from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { useServerNow } from './hooks';
import type { DeskCampaign, SoftphoneMode } from '@shared/desk-api';
import type { PhoneSession, PhoneStatus } from '../phone/softphone';
import { Keypad } from './Keypad';
import { clockText, type CallView } from './model';

export interface PhonePanelProps {
  call: CallView | undefined;
  /** Server clock minus the browser's: the bar ticks on its own, once a second. */
  serverOffset: number;
  phone: { mode: SoftphoneMode; status: PhoneStatus; session: PhoneSession };
  campaigns: DeskCampaign[];
  agentState: string;
  dialling: boolean;
  /** Who the transfer in progress goes to, as the agent chose them. */
  transferLabel: string | undefined;
  onAccept(): void;
  onDecline(): void;
  onHangup(): void;
  onHold(on: boolean): void;
  onMute(on: boolean): void;
  onMask(on: boolean): void;
  onDtmf(digits: string): void;
  onTransfer(): void;
  onTransferComplete(): void;
  onTransferCancel(): void;
  /** Consult: the customer joins a three-way call (the in-car concierge). */
  onTransferJoin?(): void;
  onDial(campaignId: string, number: string): void;
}

/** The softphone column: the call's controls and timer, or the keypad for a manual dial. */
export function PhonePanel(p: PhonePanelProps): React.JSX.Element {
  const { t } = useTranslation();
  const now = useServerNow(p.serverOffset);
  const c = p.call;
  const [keypadOpen, setKeypadOpen] = useState(false);
  const [dtmf, setDtmf] = useState('');
  const [number, setNumber] = useState('');
  const [campaignId, setCampaignId] = useState<string | undefined>();
  const campaign = p.campaigns.find((x) => x.campaignId === (campaignId ?? p.campaigns[0]?.campaignId));
  const talking = c?.phase === 'talking';
  const transfer = c?.transfer;
  const transferLive = transfer && (transfer.state === 'dialling' || transfer.state === 'consulting' || transfer.state === 'joined' || transfer.state === 'consult_ended');

  const header = (
    <Space size={8}>
      <PhoneFilled style={{ color: '#1668dc' }} />
      <span>{t('phone.title')}</span>
      <Tag data-testid="phone-state" data-state={p.phone.status} color={p.phone.status === 'registered' || p.phone.status === 'sim' ? 'green' : p.phone.status === 'failed' ? 'red' : 'default'}>
        {t(`phone.mode.${p.phone.mode}`)}
        {p.phone.mode === 'webrtc' ? ` · ${t(`phone.status.${p.phone.status}`)}` : ''}
      </Tag>
      {p.phone.mode === 'webrtc' && (
        <Tag data-testid="phone-call" data-state={p.phone.session} color={p.phone.session === 'talking' ? 'green' : p.phone.session === 'ringing' ? 'orange' : 'default'} style={p.phone.session === 'idle' ? { display: 'none' } : undefined}>
          {t(`phone.session.${p.phone.session}`)}
        </Tag>
      )}
    </Space>
  );

  return (
    <Card className="panel phone-panel" size="small" title={header} data-testid="phone-panel">
      {p.phone.mode !== 'webrtc' && <Typography.Paragraph type="secondary" className="phone-hint">{t(`phone.modeHint.${p.phone.mode}`)}</Typography.Paragraph>}
      {c?.phase === 'offered' && (
        <div className="call-box ringing" data-testid="offer">
          <div className="call-box-label">
            <span className="pulse" /> {t('phone.incoming')} · {c.queueName}
          </div>
          <div className="call-number" data-testid="offer-from">
            {c.customerNumber}
          </div>
          <div className="call-sub">{c.customer ? c.customer.name : c.inCar?.member ? c.inCar.member.name : t('pop.newCustomer')}</div>
          {c.offerExpiresAt ? <div className="call-sub">{t('pop.offerExpires', { s: Math.max(0, Math.ceil((c.offerExpiresAt - now) / 1000)) })}</div> : null}
          <Space className="call-actions">
            <Button data-testid="accept" type="primary" size="large" className="btn-answer" icon={<PhoneFilled />} onClick={p.onAccept} title="F4">
              {t('phone.answer')}
            </Button>
            <Button data-testid="decline" size="large" danger onClick={p.onDecline}>
              {t('phone.decline')}
            </Button>
          </Space>
        </div>
      )}
      {c?.phase === 'connecting' && (
        <div className="call-box" data-testid="connecting">
          <div className="call-box-label">{t('phone.ringingPhone')}</div>
          <div className="call-number">{c.customerNumber}</div>
        </div>
      )}
      {talking && c && (
        <div className="call-box live" data-testid="call">
          <div className="call-box-label">
            {c.direction === 'outbound' ? t('pop.outbound') : t('pop.inbound')} · {c.direction === 'outbound' ? c.campaignName : c.queueName}
          </div>
          <div className="call-number" data-testid="call-number">
            {c.customerNumber}
          </div>
          <div className="call-timer mono" data-testid="call-timer">
            {c.connectedAt ? clockText(now - c.connectedAt) : '00:00'}
          </div>
          {c.onHold && <Alert data-testid="hold-notice" type="warning" showIcon icon={<SoundOutlined />} title={t('phone.onHold')} className="mini-alert" />}
          {c.muted && <Alert type="info" showIcon title={t('phone.muted')} className="mini-alert" />}
          {c.masked && <Alert data-testid="mask-notice" type="warning" showIcon title={t('phone.maskOn')} className="mini-alert" />}
          {c.monitored && <Alert data-testid="monitored" type="info" showIcon title={t(`phone.monitored.${c.monitored}`)} className="mini-alert" />}
          {transfer && (
            <Alert
              data-testid="transfer-state"
              type={transfer.state === 'failed' ? 'error' : transfer.state === 'cancelled' ? 'info' : 'warning'}
              showIcon
              className="mini-alert"
              title={t(`transfer.state.${transfer.state}`, { to: p.transferLabel ?? transfer.to.replace(/^agent:/, '') })}
            />
          )}
          {transferLive ? (
            <Space className="call-actions" wrap>
              {transfer.kind === 'consult' && transfer.state === 'consulting' && p.onTransferJoin && (
                <Button data-testid="transfer-join" icon={<TeamOutlined />} onClick={p.onTransferJoin}>
                  {t('transfer.join')}
                </Button>
              )}
              {transfer.kind === 'consult' && (transfer.state === 'consulting' || transfer.state === 'joined') && (
                <Button data-testid="transfer-complete" type="primary" icon={<CheckOutlined />} onClick={p.onTransferComplete}>
                  {t('transfer.complete')}
                </Button>
              )}
              <Button data-testid="transfer-cancel" icon={<CloseOutlined />} onClick={p.onTransferCancel}>
                {t('transfer.cancel')}
              </Button>
            </Space>
          ) : (
            <div className="control-grid">
              <Button data-testid="hold" icon={c.onHold ? <PlayCircleOutlined /> : <PauseCircleOutlined />} onClick={() => p.onHold(!c.onHold)} title="F6">
                {c.onHold ? t('phone.resume') : t('phone.hold')}
              </Button>
              <Button data-testid="mute" icon={c.muted ? <AudioOutlined /> : <AudioMutedOutlined />} onClick={() => p.onMute(!c.muted)}>
                {c.muted ? t('phone.unmute') : t('phone.mute')}
              </Button>
              <Button data-testid="keypad-toggle" icon={<NumberOutlined />} type={keypadOpen ? 'primary' : 'default'} ghost={keypadOpen} onClick={() => setKeypadOpen(!keypadOpen)}>
                {t('phone.keypad')}
              </Button>
              <Tooltip title={t('phone.maskOn')}>
                <Button data-testid="mask" icon={<EyeInvisibleOutlined />} onClick={() => p.onMask(!c.masked)}>
                  {c.masked ? t('phone.unmask') : t('phone.mask')}
                </Button>
              </Tooltip>
              <Button data-testid="transfer" icon={<SwapOutlined />} onClick={p.onTransfer} className="span-2">
                {t('phone.transfer')}
              </Button>
            </div>
          )}
          {keypadOpen && !transferLive && (
            <div className="dtmf">
              <div className="dtmf-digits mono" data-testid="dtmf-digits">
                {dtmf || '\u00a0'}
              </div>
              <Keypad
                onKey={(k) => {
                  setDtmf((d) => (d + k).slice(-20));
                  p.onDtmf(k);
                }}
              />
            </div>
          )}
          <Button data-testid="hangup" danger type="primary" size="large" block icon={<PhoneFilled rotate={135} />} onClick={p.onHangup} className="btn-hangup" title="F8">
            {t('phone.hangup')}
          </Button>
        </div>
      )}
      {(c === undefined || c.phase === 'wrap_up' || c.phase === 'done') && (
        <div className="dial-box" data-testid="dial-box">
          {c?.phase === 'wrap_up' && c.ended && (
            <div className="ended-line">
              <Typography.Text type="secondary">
                {c.customerNumber} · {t('phone.talkTime')} <span className="mono">{clockText(c.ended.talkMs)}</span>
              </Typography.Text>
            </div>
          )}
          {p.campaigns.length === 0 ? (
            <Typography.Text type="secondary">{t('phone.noCampaign')}</Typography.Text>
          ) : (
            <>
              <Input
                data-testid="dial-number"
                size="large"
                className="mono dial-input"
                placeholder={t('phone.dialNumber')}
                value={number}
                allowClear
                inputMode="tel"
                onChange={(e) => setNumber(e.target.value.replace(/[^0-9+*#\- ]/g, ''))}
                onPressEnter={() => campaign && number && p.onDial(campaign.campaignId, number)}
              />
              <Keypad onKey={(k) => setNumber((n) => (n + k).slice(0, 20))} />
              <Select
                data-testid="dial-campaign"
                style={{ width: '100%' }}
                value={campaign?.campaignId}
                onChange={setCampaignId}
                options={p.campaigns.map((x) => ({ value: x.campaignId, label: `${x.name} · ${t('phone.callerId')} ${x.callerId}` }))}
                placeholder={t('phone.chooseCampaign')}
              />
              <Button
                data-testid="dial"
                type="primary"
                size="large"
                block
                icon={<PhoneFilled />}
                loading={p.dialling}
                disabled={!campaign || number.replace(/\D/g, '').length < 3 || !['ready', 'not_ready'].includes(p.agentState)}
                onClick={() => campaign && p.onDial(campaign.campaignId, number)}
              >
                {p.dialling ? t('phone.dialling') : t('phone.dial')}
              </Button>
            </>
          )}
          <div className="shortcuts" data-testid="shortcuts">
            <Typography.Text type="secondary" className="small">
              {t('phone.shortcuts')}
            </Typography.Text>
            <div className="shortcut-grid">
              <kbd>F2</kbd>
              <span>{t('phone.keys.ready')}</span>
              <kbd>F4</kbd>
              <span>{t('phone.keys.answer')}</span>
              <kbd>F6</kbd>
              <span>{t('phone.keys.hold')}</span>
              <kbd>F8</kbd>
              <span>{t('phone.keys.hangup')}</span>
              <kbd>1–9</kbd>
              <span>{t('phone.keys.codes')}</span>
            </div>
          </div>
        </div>
      )}
    </Card>
  );
}
