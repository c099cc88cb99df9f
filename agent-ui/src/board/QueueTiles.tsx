import { Card, Tooltip } from 'antd';
import { useTranslation } from 'react-i18next';
import type { BoardQueue } from '@shared/board-events';
import { Elapsed } from './Elapsed';
import { percentText, secondsText, slTone } from './model';
import { SlGauge } from './SlGauge';

/** One tile per queue: SL gauge against its target, waiting calls and the longest wait, today's figures. */
export function QueueTiles({ queues, now, offset, wall }: { queues: readonly BoardQueue[]; now: number; offset: number; wall?: boolean }): React.JSX.Element {
  const { t } = useTranslation();
  return (
    <div className={wall ? 'queue-tiles wall' : 'queue-tiles'}>
      {queues.map((q) => {
        const f = q.figures;
        return (
          <Card key={q.queueId} size="small" className={`queue-tile tone-${slTone(f.serviceLevel, q.sl.target)}`} data-testid={`queue-${q.queueId}`} title={q.name}>
            <div className="queue-tile-body">
              <Tooltip title={t('board.slTarget', { pct: Math.round(q.sl.target * 100), sec: q.sl.thresholdSec })}>
                <div className="queue-gauge">
                  <SlGauge sl={f.serviceLevel} target={q.sl.target} size={wall ? 170 : 104} dark={wall} />
                  <div className="gauge-caption">
                    {t('board.sl')} · {t('board.slTargetShort', { pct: Math.round(q.sl.target * 100), sec: q.sl.thresholdSec })}
                  </div>
                </div>
              </Tooltip>
              <div className="queue-figures">
                <div className={`queue-waiting${q.waiting > 0 ? ' busy' : ''}`}>
                  <span className="label">{t('board.waiting')}</span>
                  <b data-testid="queue-waiting">{q.waiting}</b>
                </div>
                <div className="queue-longest">
                  <span className="label">{t('board.longestWait')}</span>
                  <b>{q.oldestWaitingSince === null ? '—' : <Elapsed since={q.oldestWaitingSince} now={now} offset={offset} testId="queue-longest" />}</b>
                </div>
                <dl className="queue-stats">
                  <dt>{t('board.offered')}</dt>
                  <dd data-testid="queue-offered">{f.offered}</dd>
                  <dt>{t('board.answered')}</dt>
                  <dd data-testid="queue-answered">{f.answered}</dd>
                  <dt>{t('board.abandoned')}</dt>
                  <dd data-testid="queue-abandoned">{f.abandoned}</dd>
                  <dt>{t('board.asa')}</dt>
                  <dd>
                    {secondsText(f.asaMs)}
                    {f.asaMs !== null && t('board.sec')}
                  </dd>
                  <dt>{t('board.aht')}</dt>
                  <dd>
                    {secondsText(f.ahtMs)}
                    {f.ahtMs !== null && t('board.sec')}
                  </dd>
                  <dt>{t('board.occupancy')}</dt>
                  <dd>{percentText(f.occupancy)}</dd>
                  <dt>{t('board.readyAgents')}</dt>
                  <dd>{q.agentsReady}</dd>
                  <dt>{t('board.onCalls')}</dt>
                  <dd>{q.agentsOnCalls}</dd>
                </dl>
              </div>
            </div>
          </Card>
        );
      })}
    </div>
  );
}
