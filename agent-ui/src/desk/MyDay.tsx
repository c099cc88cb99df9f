import { lazy, memo, Suspense, useEffect, useState } from 'react';
import { Segmented, Skeleton, Statistic } from 'antd';
import { useTranslation } from 'react-i18next';
import type { MyStats, StatsRange } from '@shared/desk-api';
import type { Api } from '../shell/api';
import { clockText } from './model';

const StatsChart = lazy(() => import('./StatsChart'));

/** My day / week: calls handled, talk time, AHT, visits booked, defeated customers won back, and a small chart. */
export const MyDay = memo(function MyDay({ api, refreshKey }: { api: Api; refreshKey: number }): React.JSX.Element {
  const { t } = useTranslation();
  const [range, setRange] = useState<StatsRange>('today');
  const [stats, setStats] = useState<MyStats | undefined>();

  useEffect(() => {
    let gone = false;
    api
      .get<MyStats>(`/api/me/stats?range=${range}`)
      .then((s) => !gone && setStats(s))
      .catch(() => undefined);
    return () => {
      gone = true;
    };
  }, [api, range, refreshKey]);

  return (
    <div className="my-day" data-testid="my-day">
      <Segmented
        block
        value={range}
        onChange={(v) => setRange(v as StatsRange)}
        options={[
          { value: 'today', label: t('myDay.today') },
          { value: 'week', label: t('myDay.week') },
        ]}
      />
      {stats ? (
        <>
          <div className="stat-grid">
            <Statistic data-testid="stat-calls" title={t('myDay.calls')} value={stats.callsHandled} suffix={<span className="small">{`${t('myDay.inbound')} ${stats.inbound} / ${t('myDay.outbound')} ${stats.outbound}`}</span>} />
            <Statistic data-testid="stat-talk" title={t('myDay.talk')} value={clockText(stats.talkMs)} />
            <Statistic data-testid="stat-aht" title={t('myDay.aht')} value={clockText(stats.ahtMs)} />
            <Statistic data-testid="stat-appointments" title={t('myDay.appointments')} value={stats.appointments} valueStyle={{ color: '#389e0d' }} />
            <Statistic data-testid="stat-won-back" title={t('myDay.wonBack')} value={stats.wonBack} valueStyle={{ color: '#cf1322' }} />
          </div>
          <Suspense fallback={<Skeleton.Node active style={{ width: 360, height: 180 }} />}>
            <StatsChart series={stats.series} range={range} labels={{ calls: t('myDay.chartCalls'), appointments: t('myDay.chartAppointments') }} />
          </Suspense>
        </>
      ) : (
        <Skeleton active />
      )}
    </div>
  );
});
