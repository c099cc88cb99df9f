import { Button, Empty, List, Space, Tag, Tooltip } from 'antd';
import { AudioOutlined, CustomerServiceOutlined, SoundOutlined, StopOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import type { MonitorMode } from '@shared/agent-events';
import type { BoardCall, BoardWaitingCall } from '@shared/board-events';
import { Elapsed } from './Elapsed';

export interface MonitorView {
  callId: string;
  mode: MonitorMode;
}

/** Waiting calls (waiting time counting) and connected calls with listen / whisper / barge on the supervisor's own phone. */
export function CallsPanel(p: {
  waiting: readonly BoardWaitingCall[];
  calls: readonly BoardCall[];
  names: ReadonlyMap<string, string>;
  queueNames: ReadonlyMap<string, string>;
  me: string;
  mine: MonitorView | undefined;
  pending: boolean;
  now: number;
  offset: number;
  onMonitor: (callId: string, mode: MonitorMode) => void;
  onStop: (callId: string) => void;
}): React.JSX.Element {
  const { t } = useTranslation();
  const nameOf = (id: string): string => p.names.get(id) ?? id;
  const modeText = (m: MonitorMode): string => t(`board.${m}`);
  return (
    <div className="calls-panel">
      <div className="panel-title">
        {t('board.waitingCalls')} <Tag color={p.waiting.length > 0 ? 'red' : 'default'}>{p.waiting.length}</Tag>
      </div>
      {p.waiting.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('board.noWaiting')} className="small-empty" />
      ) : (
        <List
          size="small"
          className="waiting-list"
          dataSource={[...p.waiting]}
          renderItem={(w) => (
            <List.Item data-testid="waiting-call" data-call={w.callId}>
              <Space size={6}>
                <b className="mono">{w.customer}</b>
                <span className="muted">{p.queueNames.get(w.queueId) ?? w.queueId}</span>
                {w.phase === 'callback_waiting' && <Tag color="gold">{t('board.callbackWaiting')}</Tag>}
                {w.offeredTo && <Tag color="cyan">{t('board.offeredTo', { name: w.offeredTo.split(',').map(nameOf).join('、') })}</Tag>}
              </Space>
              <span className={`wait-time${p.now + p.offset - w.since > 60_000 ? ' long' : ''}`}>
                <Elapsed since={w.since} now={p.now} offset={p.offset} testId="waiting-time" />
              </span>
            </List.Item>
          )}
        />
      )}
      <div className="panel-title">
        {t('board.liveCalls')} <Tag color="blue">{p.calls.length}</Tag>
      </div>
      {p.calls.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('board.noCalls')} className="small-empty" />
      ) : (
        <List
          size="small"
          className="live-list"
          dataSource={[...p.calls]}
          renderItem={(c) => {
            const mine = p.mine?.callId === c.callId ? p.mine : undefined;
            const other = c.monitor && c.monitor.supervisorId !== p.me ? c.monitor : undefined;
            return (
              <List.Item data-testid="live-call" data-call={c.callId} className={mine ? 'monitoring' : undefined}>
                <div className="live-call-main">
                  <div>
                    <b>{nameOf(c.agentId)}</b> ↔ <span className="mono">{c.customer}</span>
                  </div>
                  <div className="muted small">
                    {c.queueId ? (p.queueNames.get(c.queueId) ?? c.queueId) : t(`direction.${c.direction}`)} · <Elapsed since={c.connectedAt} now={p.now} offset={p.offset} />
                    {mine && (
                      <Tag color="red" className="monitor-tag" data-testid="my-monitor" data-mode={mine.mode}>
                        {t('board.monitoring', { mode: modeText(mine.mode) })}
                      </Tag>
                    )}
                    {other && <Tag>{t('board.monitoredBy', { name: nameOf(other.supervisorId), mode: modeText(other.mode) })}</Tag>}
                  </div>
                </div>
                <Space.Compact size="small">
                  <Tooltip title={t('board.listen')}>
                    <Button data-testid="listen" icon={<CustomerServiceOutlined />} type={mine?.mode === 'listen' ? 'primary' : 'default'} disabled={p.pending || !!other} onClick={() => p.onMonitor(c.callId, 'listen')}>
                      {t('board.listen')}
                    </Button>
                  </Tooltip>
                  <Tooltip title={t('board.whisper')}>
                    <Button data-testid="whisper" icon={<SoundOutlined />} type={mine?.mode === 'whisper' ? 'primary' : 'default'} disabled={p.pending || !!other} onClick={() => p.onMonitor(c.callId, 'whisper')}>
                      {t('board.whisper')}
                    </Button>
                  </Tooltip>
                  <Tooltip title={t('board.barge')}>
                    <Button data-testid="barge" icon={<AudioOutlined />} type={mine?.mode === 'barge' ? 'primary' : 'default'} disabled={p.pending || !!other} onClick={() => p.onMonitor(c.callId, 'barge')}>
                      {t('board.barge')}
                    </Button>
                  </Tooltip>
                  {mine && (
                    <Tooltip title={t('board.stopMonitor')}>
                      <Button data-testid="stop-monitor" danger icon={<StopOutlined />} disabled={p.pending} onClick={() => p.onStop(c.callId)} />
                    </Tooltip>
                  )}
                </Space.Compact>
              </List.Item>
            );
          }}
        />
      )}
    </div>
  );
}
