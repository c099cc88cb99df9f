import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { App, Badge, Button, Card, Select, Space, Statistic, Tag, Typography } from 'antd';
import { DesktopOutlined, FullscreenOutlined, PhoneOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import type { AgentState, MonitorMode } from '@shared/agent-events';
import { AGENT_STATES } from '@shared/agent-events';
import type { BoardAgent, BoardServerEvents, ForceAction, StoreBoard } from '@shared/board-events';
import { errorText } from '../i18n';
import { useShell } from '../shell/context';
import { Softphone, type PhoneStatus, type SipCredentials } from '../phone/softphone';
import { AgentsTable } from './AgentsTable';
import { CallsPanel, type MonitorView } from './CallsPanel';
import { useNow } from './hooks';
import { agentsOf, mergeBoard, percentText, secondsText, type AgentFilter } from './model';
import { QueueTiles } from './QueueTiles';
import { Wallboard } from './Wallboard';
import './board.css';

/**
 * The supervisors' live board (/board, namespace /board): queue tiles with their SL gauges, the
 * agents grid with forced states, waiting and connected calls with listen / whisper / barge on the
 * supervisor's own phone, and the full-screen wallboard (监控大屏). Boards arrive per store whenever
 * something changes (and at least every few seconds); timers count from the server's timestamps.
 */
export default function BoardPage(): React.JSX.Element {
  const shell = useShell<BoardServerEvents>();
  const { t, i18n } = useTranslation();
  const { message } = App.useApp();
  const now = useNow(1000);
  const [boards, setBoards] = useState<Map<string, StoreBoard>>(new Map());
  const [lastReceived, setLastReceived] = useState<{ at: number; offset: number } | undefined>();
  const [filter, setFilter] = useState<AgentFilter>({ storeId: 'all', teamId: 'all', state: 'all' });
  const [wall, setWall] = useState(() => new URLSearchParams(window.location.search).has('wall'));
  const [monitor, setMonitor] = useState<MonitorView | undefined>();
  const [pending, setPending] = useState(false);
  const [phoneStatus, setPhoneStatus] = useState<PhoneStatus>(shell.me.softphone === 'sim' ? 'sim' : shell.me.softphone === 'none' ? 'none' : 'off');
  const audioRef = useRef<HTMLAudioElement>(null);

  useEffect(
    () =>
      shell.socket.on('board:store', (b: StoreBoard) => {
        setBoards((m) => mergeBoard(m, b));
        setLastReceived({ at: b.at, offset: b.at - Date.now() });
      }),
    [shell.socket],
  );
  useEffect(
    () =>
      shell.socket.on('monitor:state', (s) => {
        if ('mode' in s) setMonitor({ callId: s.callId, mode: s.mode });
        else {
          setMonitor((m) => (m?.callId === s.callId ? undefined : m));
          message.info(t('board.monitorEnded'));
        }
      }),
    [shell.socket, message, t],
  );

  // the supervisor's own phone: monitoring rings it (the simulated switch answers it in the demo)
  useEffect(() => {
    const phone = new Softphone(shell.me.softphone, { status: setPhoneStatus, session: () => undefined }, () => audioRef.current);
    phone.start(() => shell.api.get<SipCredentials>('/api/me/sip')).catch(() => setPhoneStatus('failed'));
    return () => phone.stop();
  }, [shell.me.softphone, shell.api]);

  const list = useMemo(() => [...boards.values()].sort((a, b) => a.storeName.localeCompare(b.storeName, 'zh-CN')), [boards]);
  const shown = useMemo(() => (filter.storeId === 'all' ? list : list.filter((b) => b.storeId === filter.storeId)), [list, filter.storeId]);
  const agents = useMemo(() => agentsOf(list, filter), [list, filter]);
  const allAgents = useMemo(() => agentsOf(shown, { storeId: 'all', teamId: 'all', state: 'all' }), [shown]);
  const queues = useMemo(() => shown.flatMap((b) => b.queues), [shown]);
  const waiting = useMemo(() => shown.flatMap((b) => b.waiting).sort((a, b) => a.since - b.since), [shown]);
  const calls = useMemo(() => shown.flatMap((b) => b.calls), [shown]);
  const names = useMemo(() => new Map(list.flatMap((b) => b.agents.map((a) => [a.agentId, a.name] as const))), [list]);
  const queueNames = useMemo(() => new Map(list.flatMap((b) => b.queues.map((q) => [q.queueId, q.name] as const))), [list]);
  const teams = useMemo(() => [...new Map(list.flatMap((b) => b.agents.flatMap((a) => (a.teamId ? [[a.teamId, a.teamName ?? a.teamId] as const] : [])))).entries()], [list]);
  const offset = lastReceived?.offset ?? shell.serverOffset;
  const single = shown.length === 1 ? shown[0] : undefined;
  const totals = single?.totals.figures;
  const callbacks = shown.reduce((n, b) => n + b.callbacksWaiting, 0);
  const voicemails = shown.reduce((n, b) => n + b.voicemailsWaiting, 0);

  const startMonitor = useCallback(
    async (callId: string, mode: MonitorMode) => {
      setPending(true);
      const ack = await shell.socket.command('monitor:start', { callId, mode });
      setPending(false);
      if (!ack.ok) message.error(errorText(t, ack.code, ack.error));
    },
    [shell.socket, message, t],
  );
  const stopMonitor = useCallback(
    async (callId: string) => {
      setPending(true);
      const ack = await shell.socket.command('monitor:stop', { callId });
      setPending(false);
      if (!ack.ok) message.error(errorText(t, ack.code, ack.error));
    },
    [shell.socket, message, t],
  );
  const force = useCallback(
    async (a: BoardAgent, action: ForceAction, reason: string): Promise<boolean> => {
      const ack = await shell.socket.command('agent:force', { agentId: a.agentId, action, reason });
      const label = t(action === 'ready' ? 'board.forceReady' : action === 'not_ready' ? 'board.forceNotReady' : 'board.forceLogout');
      if (ack.ok) message.success(t('board.forceDone', { name: a.name, action: label }));
      else message.error(t('board.forceRefused', { reason: errorText(t, ack.code, ack.error) }));
      return ack.ok;
    },
    [shell.socket, message, t],
  );
  const enterWall = useCallback(() => {
    setWall(true);
    document.documentElement.requestFullscreen?.().catch(() => undefined);
  }, []);
  const exitWall = useCallback(() => {
    setWall(false);
    if (document.fullscreenElement) document.exitFullscreen().catch(() => undefined);
  }, []);

  const updated = lastReceived ? new Date(lastReceived.at).toLocaleTimeString(i18n.language === 'en' ? 'en-GB' : 'zh-CN', { hour12: false }) : undefined;
  const takesCalls = shell.me.roles.some((r) => r === 'agent' || r === 'sales_consultant' || r === 'supervisor');
  const phoneOk = phoneStatus === 'sim' || phoneStatus === 'registered';

  if (wall) return <Wallboard boards={shown} queues={queues} agents={allAgents} waiting={waiting} lastAt={lastReceived?.at} now={now} offset={offset} onExit={exitWall} />;

  return (
    <div className="board" data-testid="board">
      <audio ref={audioRef} autoPlay />
      <div className="board-toolbar">
        <Space size={8} wrap>
          <Select
            data-testid="store-filter"
            size="small"
            style={{ minWidth: 140 }}
            value={filter.storeId}
            onChange={(storeId) => setFilter((f) => ({ ...f, storeId }))}
            options={[{ value: 'all', label: t('board.allStores') }, ...list.map((b) => ({ value: b.storeId, label: b.storeName }))]}
          />
          <Select
            data-testid="team-filter"
            size="small"
            style={{ minWidth: 120 }}
            value={filter.teamId}
            onChange={(teamId) => setFilter((f) => ({ ...f, teamId }))}
            options={[{ value: 'all', label: t('board.allTeams') }, ...teams.map(([id, name]) => ({ value: id, label: name }))]}
          />
          <Select
            data-testid="state-filter"
            size="small"
            style={{ minWidth: 110 }}
            value={filter.state}
            onChange={(state: AgentState | 'all') => setFilter((f) => ({ ...f, state }))}
            options={[{ value: 'all', label: t('board.allStates') }, ...AGENT_STATES.map((s) => ({ value: s, label: t(`states.${s}`) }))]}
          />
        </Space>
        <Space size={10}>
          <Tag data-testid="board-phone" color={phoneOk ? 'green' : 'default'} icon={<PhoneOutlined />}>
            {t('board.phone')} · {phoneStatus === 'sim' ? t('board.phoneSim') : phoneStatus === 'registered' ? t('board.phoneReady') : t('board.phoneOff')}
          </Tag>
          <Typography.Text type="secondary" data-testid="last-update">
            {updated ? t('board.lastUpdate', { time: updated }) : t('board.waitingForData')}
          </Typography.Text>
          {takesCalls && (
            <Button size="small" icon={<DesktopOutlined />} href="/desk" data-testid="to-desk">
              {t('board.toDesk')}
            </Button>
          )}
          <Button size="small" type="primary" icon={<FullscreenOutlined />} onClick={enterWall} data-testid="wallboard-button">
            {t('board.wallboard')}
          </Button>
        </Space>
      </div>
      <Card size="small" className="board-totals">
        <Space size={28} wrap>
          <Statistic title={t('board.offered')} value={shown.reduce((n, b) => n + b.totals.figures.offered, 0)} />
          <Statistic title={t('board.answered')} value={shown.reduce((n, b) => n + b.totals.figures.answered, 0)} />
          <Statistic title={t('board.abandoned')} value={shown.reduce((n, b) => n + b.totals.figures.abandoned, 0)} suffix={<span className="muted small">{t('board.shortAbandoned', { n: shown.reduce((n, b) => n + b.totals.counters.shortAbandoned, 0) })}</span>} />
          {totals && <Statistic title={t('board.sl')} value={percentText(totals.serviceLevel)} />}
          {totals && <Statistic title={t('board.asa')} value={secondsText(totals.asaMs)} suffix={totals.asaMs !== null ? t('board.sec') : undefined} />}
          {totals && <Statistic title={t('board.aht')} value={secondsText(totals.ahtMs)} suffix={totals.ahtMs !== null ? t('board.sec') : undefined} />}
          {totals && <Statistic title={t('board.occupancy')} value={percentText(totals.occupancy)} />}
          {totals && <Statistic title={t('board.abandonRate')} value={percentText(totals.abandonRate)} />}
          <Statistic title={t('board.callbacks')} value={callbacks} valueRender={(v) => <span data-testid="callbacks-waiting">{v}</span>} />
          <Statistic title={t('board.voicemails')} value={voicemails} valueRender={(v) => <span data-testid="voicemails-waiting">{v}</span>} />
        </Space>
      </Card>
      <QueueTiles queues={queues} now={now} offset={offset} />
      <div className="board-main">
        <Card
          size="small"
          className="board-agents"
          title={
            <span>
              {t('board.agents')} <Badge count={agents.length} showZero color="#1668dc" />
            </span>
          }
        >
          <AgentsTable agents={agents} now={now} offset={offset} onForce={force} />
        </Card>
        <Card size="small" className="board-calls">
          <CallsPanel waiting={waiting} calls={calls} names={names} queueNames={queueNames} me={shell.me.username} mine={monitor} pending={pending} now={now} offset={offset} onMonitor={(c, m) => void startMonitor(c, m)} onStop={(c) => void stopMonitor(c)} />
        </Card>
      </div>
    </div>
  );
}
