import { Button } from 'antd';
import { FullscreenExitOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import type { BoardAgent, BoardQueue, BoardWaitingCall, StoreBoard } from '@shared/board-events';
import { Elapsed } from './Elapsed';
import { percentText, slTone, stateCounts, TONE_COLOR } from './model';
import { QueueTiles } from './QueueTiles';

const WALL_STATES = ['ready', 'talking', 'wrap_up', 'not_ready', 'outbound', 'ringing'] as const;

/** 监控大屏: a dark full-screen board for a wall TV, readable from across the room, with the time of the last update. */
export function Wallboard(p: { boards: readonly StoreBoard[]; queues: readonly BoardQueue[]; agents: readonly BoardAgent[]; waiting: readonly BoardWaitingCall[]; lastAt: number | undefined; now: number; offset: number; onExit: () => void }): React.JSX.Element {
  const { t, i18n } = useTranslation();
  const counts = stateCounts(p.agents);
  const totals = p.boards.reduce(
    (acc, b) => ({ offered: acc.offered + b.totals.figures.offered, answered: acc.answered + b.totals.figures.answered, abandoned: acc.abandoned + b.totals.figures.abandoned }),
    { offered: 0, answered: 0, abandoned: 0 },
  );
  const sl = p.boards.length === 1 ? p.boards[0]?.totals.figures.serviceLevel ?? null : null;
  const target = p.queues[0]?.sl.target ?? 0.8;
  const longest = p.waiting.filter((w) => w.phase !== 'callback_waiting').reduce<number | null>((m, w) => (m === null || w.since < m ? w.since : m), null);
  const updated = p.lastAt ? new Date(p.lastAt).toLocaleTimeString(i18n.language === 'en' ? 'en-GB' : 'zh-CN', { hour12: false }) : '—';
  return (
    <div className="wallboard" data-testid="wallboard">
      <div className="wall-head">
        <div className="wall-title">{t('board.wallTitle')}</div>
        <div className="wall-updated" data-testid="wall-updated">
          {t('board.lastUpdate', { time: updated })}
        </div>
        <Button ghost icon={<FullscreenExitOutlined />} onClick={p.onExit} data-testid="exit-wall">
          {t('board.exitWall')}
        </Button>
      </div>
      <div className="wall-kpis">
        <div className={`wall-kpi${p.waiting.length > 0 ? ' alert' : ''}`}>
          <span>{t('board.waiting')}</span>
          <b data-testid="wall-waiting">{p.waiting.filter((w) => w.phase !== 'callback_waiting').length}</b>
        </div>
        <div className="wall-kpi">
          <span>{t('board.longestWait')}</span>
          <b>{longest === null ? '—' : <Elapsed since={longest} now={p.now} offset={p.offset} />}</b>
        </div>
        <div className="wall-kpi">
          <span>{t('board.offered')}</span>
          <b>{totals.offered}</b>
        </div>
        <div className="wall-kpi">
          <span>{t('board.answered')}</span>
          <b>{totals.answered}</b>
        </div>
        <div className="wall-kpi">
          <span>{t('board.abandoned')}</span>
          <b>{totals.abandoned}</b>
        </div>
        <div className="wall-kpi">
          <span>{t('board.sl')}</span>
          <b style={{ color: TONE_COLOR[slTone(sl, target)] }}>{percentText(sl)}</b>
        </div>
      </div>
      <QueueTiles queues={p.queues} now={p.now} offset={p.offset} wall />
      <div className="wall-waiting">
        <div className="wall-section">{t('board.waitingCalls')}</div>
        {p.waiting.length === 0 ? (
          <div className="wall-none">{t('board.noWaiting')}</div>
        ) : (
          <div className="wall-waiting-list">
            {p.waiting.slice(0, 8).map((w) => (
              <div key={w.callId} className={`wall-waiting-call${p.now + p.offset - w.since > 60_000 ? ' long' : ''}`}>
                <span className="mono">{w.customer}</span>
                <span className="wall-queue">{p.queues.find((q) => q.queueId === w.queueId)?.name ?? w.queueId}</span>
                <b>
                  <Elapsed since={w.since} now={p.now} offset={p.offset} />
                </b>
              </div>
            ))}
          </div>
        )}
      </div>
      <div className="wall-states">
        {WALL_STATES.map((s) => (
          <div key={s} className={`wall-state state-${s}`}>
            <span>{t(`states.${s}`)}</span>
            <b>{counts[s] ?? 0}</b>
          </div>
        ))}
      </div>
    </div>
  );
}
