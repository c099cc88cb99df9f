import { memo, useLayoutEffect } from 'react';
import { Alert, Card, Empty, Skeleton, Space, Tag, Tooltip, Typography } from 'antd';
import {
  CarOutlined,
  CommentOutlined,
  DollarOutlined,
  EnvironmentOutlined,
  FlagOutlined,
  PhoneOutlined,
  PlayCircleOutlined,
  RiseOutlined,
  ShopOutlined,
  StopOutlined,
  CalendarOutlined,
  FileTextOutlined,
  RetweetOutlined,
  ArrowRightOutlined,
} from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import type { CustomerCard, FunnelEntry, IvrStepView, PreviewLead } from '@shared/agent-events';
import type { StoreRef } from '@shared/desk-api';
import { clockText, gradePath, type CallView } from './model';
import { NewCustomerForm } from './NewCustomerForm';
import type { Api } from '../shell/api';

const GRADE_COLOR: Record<string, string> = { A: '#cf1322', B: '#d46b08', C: '#1668dc', H: '#c41d7f', O: '#389e0d', F: '#8c8c8c' };

const KIND_ICON: Record<string, React.ReactNode> = {
  visit: <ShopOutlined />,
  test_drive: <CarOutlined />,
  quote: <DollarOutlined />,
  grade_change: <RiseOutlined />,
  defeat: <StopOutlined />,
  call: <PhoneOutlined />,
  appointment: <CalendarOutlined />,
  note: <FileTextOutlined />,
};

const formats = new Map<string, Intl.DateTimeFormat>();
function fmtDate(iso: string, lang: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  let f = formats.get(lang);
  if (!f) {
    f = new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'zh-CN', { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', timeZone: 'Asia/Shanghai' });
    formats.set(lang, f);
  }
  return f.format(d);
}

export function GradeTag({ grade }: { grade: string | undefined }): React.JSX.Element | null {
  if (!grade) return null;
  return (
    <span className="grade-chip" style={{ background: GRADE_COLOR[grade] ?? '#8c8c8c' }}>
      {grade}
    </span>
  );
}

/** The grades the customer went through, drawn C → B → A. */
export function GradePath({ customer }: { customer: CustomerCard }): React.JSX.Element | null {
  const path = gradePath(customer);
  if (path.length === 0) return null;
  return (
    <span className="grade-path" data-testid="grade-path" aria-label={path.join('→')}>
      {path.map((g, i) => (
        <span key={`${g}${i}`} className="grade-step">
          {i > 0 && <ArrowRightOutlined className="grade-arrow" />}
          <GradeTag grade={g} />
        </span>
      ))}
    </span>
  );
}

function storeName(stores: readonly StoreRef[], id: string | undefined): string | undefined {
  if (!id) return undefined;
  return stores.find((s) => s.storeId === id)?.name ?? id;
}

/** A call's funnel note is "<code>: notes": the code in the agent's language. */
function callNote(note: string, t: TFunction): string {
  const m = /^([a-z][a-z0-9_]*)(?::\s*([\s\S]*))?$/.exec(note);
  if (!m?.[1]) return note;
  const code = t(`codes.${m[1]}`, { defaultValue: m[1] });
  return m[2] ? `${code}：${m[2]}` : code;
}

const FUNNEL_COLOR: Record<string, string> = { defeat: '#cf1322', grade_change: '#d46b08', appointment: '#389e0d' };

/** The funnel, newest first: plain markup (it is drawn on every offer; antd's Timeline costs more than it gives here). */
function FunnelTimeline({ funnel, stores }: { funnel: FunnelEntry[]; stores: readonly StoreRef[] }): React.JSX.Element {
  const { t, i18n } = useTranslation();
  if (funnel.length === 0) return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('common.none')} />;
  return (
    <ol className="funnel" data-testid="funnel">
      {[...funnel].reverse().map((f, i) => (
        <li key={`${f.at}:${i}`} className={`funnel-item kind-${f.kind}`} data-testid={`funnel-${f.kind}`}>
          <span className="funnel-dot" style={{ color: FUNNEL_COLOR[f.kind] ?? '#1668dc' }}>
            {KIND_ICON[f.kind]}
          </span>
          <div className="funnel-body">
            <div className="funnel-line">
              <strong className="funnel-kind">{t(`funnelKind.${f.kind}`, { defaultValue: f.kind })}</strong>
              {f.grade && <GradeTag grade={f.grade} />}
              {f.model && <span className="pill">{f.model}</span>}
              {f.storeId && (
                <span className="muted">
                  <EnvironmentOutlined /> {storeName(stores, f.storeId)}
                </span>
              )}
              <span className="muted mono small">{fmtDate(f.at, i18n.language)}</span>
            </div>
            {f.note && <div className="funnel-note">{f.kind === 'call' ? callNote(f.note, t) : f.note}</div>}
          </div>
        </li>
      ))}
    </ol>
  );
}

function LastCalls({ customer, people }: { customer: CustomerCard; people: Readonly<Record<string, string>> }): React.JSX.Element {
  const { t, i18n } = useTranslation();
  if (customer.lastCalls.length === 0) return <span className="muted">{t('pop.noCalls')}</span>;
  return (
    <div className="last-calls" data-testid="last-calls">
      {customer.lastCalls.map((c) => (
        <div key={c.callId || c.at} className="last-call">
          <div className="funnel-line">
            <span className={`pill ${c.direction === 'outbound' ? 'pill-cyan' : 'pill-blue'}`}>{t(`direction.${c.direction}`, { defaultValue: c.direction })}</span>
            <span className="mono small">{fmtDate(c.at, i18n.language)}</span>
            {c.outcome && <span className="muted">{t(`callOutcome.${c.outcome}`, { defaultValue: c.outcome })}</span>}
            {c.disposition && <span className="pill pill-geekblue">{t(`codes.${c.disposition}`, { defaultValue: c.disposition })}</span>}
            {c.agent && (
              <span className="muted">
                {t('pop.agentLabel')} {people[c.agent] ?? c.agent}
              </span>
            )}
            <button type="button" className="icon-btn" disabled data-testid="recording-placeholder" title={t('pop.recordingSoon')} aria-label={t('pop.recording')}>
              <PlayCircleOutlined />
            </button>
          </div>
          {c.notes && <div className="funnel-note">{c.notes}</div>}
        </div>
      ))}
      <span className="muted small">{t('pop.recordingSoon')}</span>
    </div>
  );
}

function IvrPath({ ivr }: { ivr: CallView['ivr'] }): React.JSX.Element {
  const { t } = useTranslation();
  if (!ivr || ivr.path.length === 0) return <Typography.Text type="secondary">{t('pop.noIvr')}</Typography.Text>;
  return (
    <span className="ivr-path" data-testid="ivr-path">
      {ivr.path.map((s: IvrStepView, i) => (
        <span key={`${s.node}${i}`} className="ivr-step">
          {i > 0 && <ArrowRightOutlined className="grade-arrow" />}
          <Tag variant="outlined">
            {s.node}
            {s.digits ? ` · ${t('pop.ivrKeys', { keys: s.digits })}` : ''}
          </Tag>
        </span>
      ))}
    </span>
  );
}

function CustomerView({ customer, stores, people }: { customer: CustomerCard; stores: readonly StoreRef[]; people: Readonly<Record<string, string>> }): React.JSX.Element {
  const { t } = useTranslation();
  const defeated = customer.status === 'defeated';
  return (
    <div className="customer" data-testid="customer-card">
      <div className="customer-head">
        <Space size={10} align="center">
          <Typography.Title level={4} style={{ margin: 0 }} data-testid="customer-name">
            {customer.name}
          </Typography.Title>
          <GradeTag grade={customer.grade} />
          <Tag color={defeated ? 'red' : customer.status === 'customer' ? 'green' : 'blue'} data-testid="customer-status">
            {t(`customerStatus.${customer.status}`, { defaultValue: customer.status })}
          </Tag>
        </Space>
        <span className="grade-path-wrap">
          <Typography.Text type="secondary">{t('pop.gradePath')}</Typography.Text> <GradePath customer={customer} />
        </span>
      </div>
      {customer.defeatReason && <Alert data-testid="defeat-reason" type="error" showIcon icon={<FlagOutlined />} className="defeat" title={<span>{t('pop.defeat')}：<strong>{customer.defeatReason}</strong></span>} />}
      <dl className="customer-facts">
        <dt>{t('pop.owner')}</dt>
        <dd data-testid="owner">{customer.owningUser ? (people[customer.owningUser] ?? customer.owningUser) : '—'}</dd>
        <dt>{t('pop.store')}</dt>
        <dd data-testid="owning-store">{storeName(stores, customer.owningStoreId) ?? '—'}</dd>
        <dt>{t('pop.phones')}</dt>
        <dd className="mono">{customer.phones.join(', ')}</dd>
        <dt>{t('pop.models')}</dt>
        <dd>{customer.modelsConsidered.length ? customer.modelsConsidered.join('、') : '—'}</dd>
      </dl>
    </div>
  );
}

/**
 * Marks, once per call, when its pop has been painted (npm run bench:desk reads these marks): the
 * DOM is committed here; the frame that shows it is painted right after the next animation frame.
 */
function useRenderedMark(callId: string | undefined, complete: boolean): void {
  useLayoutEffect(() => {
    if (!callId || !complete) return undefined;
    const name = `pop-rendered:${callId}`;
    if (performance.getEntriesByName(name).length > 0) return undefined;
    performance.mark(`pop-committed:${callId}`, { detail: { wallClock: Date.now() } });
    const frame = requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        if (performance.getEntriesByName(name).length === 0) performance.mark(name, { detail: { wallClock: Date.now() } });
      };
      channel.port2.postMessage(undefined);
    });
    return () => cancelAnimationFrame(frame);
  }, [callId, complete]);
}

export interface ScreenPopProps {
  call: CallView | undefined;
  preview: PreviewLead | undefined;
  stores: readonly StoreRef[];
  /** Display names of colleagues by username (owning consultant, agents of past calls). */
  people: Readonly<Record<string, string>>;
  api: Api;
  agentState: string;
  previewControls: React.ReactNode;
  onCustomerCreated(card: CustomerCard): void;
}

/** Inbound and outbound calls in one layout: the call's facts, the customer with the funnel, last contacts, IVR path, script. */
export const ScreenPop = memo(function ScreenPop(p: ScreenPopProps): React.JSX.Element {
  const { t } = useTranslation();
  const c = p.call;
  useRenderedMark(c?.callId, !!c && !c.customerPending);

  if (p.preview && (!c || c.phase === 'done')) {
    const lead = p.preview;
    return (
      <div className="pop" data-testid="preview-card">
        <Card size="small" className="pop-head">
          <Space size={10} wrap>
            <Tag color="cyan">{t('outbound.preview')}</Tag>
            <Typography.Title level={4} style={{ margin: 0 }} data-testid="preview-name">
              {lead.name ?? lead.customer?.name ?? lead.phone}
            </Typography.Title>
            <Typography.Text className="mono" data-testid="preview-phone">
              {lead.phone}
            </Typography.Text>
            <GradeTag grade={lead.grade} />
          </Space>
          {lead.defeatReason && <Alert type="error" showIcon icon={<FlagOutlined />} className="defeat" title={<span>{t('pop.defeat')}：<strong>{lead.defeatReason}</strong></span>} />}
          <div className="preview-actions">{p.previewControls}</div>
        </Card>
        {lead.script && (
          <Card size="small" title={t('pop.script')} className="script-card">
            <div className="script" data-testid="script">
              {lead.script}
            </div>
          </Card>
        )}
        {lead.customer && (
          <Card size="small" className="pop-body">
            <CustomerView customer={lead.customer} stores={p.stores} people={p.people} />
            <Typography.Text strong>{t('pop.funnel')}</Typography.Text>
            <FunnelTimeline funnel={lead.customer.funnel} stores={p.stores} />
          </Card>
        )}
      </div>
    );
  }

  if (!c) {
    return (
      <div className="pop empty" data-testid="pop-empty">
        <Empty image={<PhoneOutlined className="empty-icon" />} description={<span>{t('pop.waitingTitle')}</span>}>
          <Typography.Text type="secondary">{p.agentState === 'not_ready' ? t('pop.notReadyHint') : t('pop.waitingHint')}</Typography.Text>
        </Empty>
      </div>
    );
  }

  return (
    <div className="pop" data-testid="pop" data-call={c.callId}>
      <Card size="small" className="pop-head">
        <div className="pop-head-row">
          <Space size={8} wrap>
            <Tag color={c.direction === 'outbound' ? 'cyan' : 'blue'}>{c.direction === 'outbound' ? t('pop.outbound') : t('pop.inbound')}</Tag>
            <Typography.Text strong className="mono pop-number" data-testid="pop-number">
              {c.customerNumber}
            </Typography.Text>
            <Typography.Text type="secondary">
              {c.direction === 'outbound' ? `${t('pop.campaign')} ${c.campaignName ?? ''}` : `${t('pop.queue')} ${c.queueName}`}
            </Typography.Text>
            {c.direction === 'inbound' && c.dealerNumber && (
              <Typography.Text type="secondary">
                {t('pop.dialled')} {c.dealerNumber}
              </Typography.Text>
            )}
            {c.direction === 'inbound' && !c.restored && <Tag data-testid="waited">{t('pop.waited', { t: clockText(c.waitedMs) })}</Tag>}
            {c.callback && (
              <Tooltip title={t('pop.callbackHint')}>
                <Tag color="magenta" icon={<RetweetOutlined />} data-testid="callback-flag">
                  {t('pop.callbackFlag')}
                </Tag>
              </Tooltip>
            )}
            {c.restored && <Tag color="default">{t('pop.restored')}</Tag>}
            {(c.phase === 'wrap_up' || c.phase === 'done') && (
              <Tag color="default" data-testid="call-ended-tag">
                {t('pop.ended')}
              </Tag>
            )}
          </Space>
        </div>
        {c.direction === 'inbound' && (
          <div className="ivr-row">
            <Typography.Text type="secondary">{t('pop.ivr')}：</Typography.Text>
            <IvrPath ivr={c.ivr} />
          </div>
        )}
      </Card>
      {c.direction === 'outbound' && c.script && (
        <Card size="small" title={t('pop.script')} className="script-card">
          <div className="script" data-testid="script">
            {c.script}
          </div>
        </Card>
      )}
      <Card size="small" className="pop-body">
        {c.customerPending ? (
          <div className="customer-pending" data-testid="customer-pending">
            <Typography.Text type="secondary">{t('pop.crmPending')}</Typography.Text>
            <Skeleton active paragraph={{ rows: 6 }} />
          </div>
        ) : c.customer ? (
          <>
            <CustomerView customer={c.customer} stores={p.stores} people={p.people} />
            <div className="pop-columns">
              <div>
                <Typography.Text strong className="section-title">
                  {t('pop.funnel')}
                </Typography.Text>
                <FunnelTimeline funnel={c.customer.funnel} stores={p.stores} />
              </div>
              <div>
                <Typography.Text strong className="section-title">
                  <CommentOutlined /> {t('pop.lastCalls')}
                </Typography.Text>
                <LastCalls customer={c.customer} people={p.people} />
              </div>
            </div>
          </>
        ) : (
          <NewCustomerForm api={p.api} phone={c.customerNumber} name={c.lead?.name} grade={c.lead?.grade} stores={p.stores} onCreated={p.onCustomerCreated} />
        )}
      </Card>
    </div>
  );
});
