import { useEffect, useRef } from 'react';
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';
import type { MyStats, StatsRange } from '@shared/desk-api';

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

/** Calls per hour (today) or per day (week) with the visits booked: ECharts, its own chunk, only what it draws. */
export default function StatsChart({ series, range, labels }: { series: MyStats['series']; range: StatsRange; labels: { calls: string; appointments: string } }): React.JSX.Element {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!el.current) return undefined;
    const chart = echarts.init(el.current, undefined, { renderer: 'svg' });
    chart.setOption({
      animation: false,
      grid: { left: 28, right: 8, top: 28, bottom: 22 },
      legend: { top: 0, right: 0, itemWidth: 10, itemHeight: 10, textStyle: { fontSize: 11 } },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: series.map((s) => (range === 'week' ? s.label.slice(5) : s.label.slice(0, 2))), axisLabel: { fontSize: 10 } },
      yAxis: { type: 'value', minInterval: 1, axisLabel: { fontSize: 10 } },
      series: [
        { name: labels.calls, type: 'bar', data: series.map((s) => s.calls), itemStyle: { color: '#1668dc', borderRadius: [3, 3, 0, 0] }, barMaxWidth: 14 },
        { name: labels.appointments, type: 'line', data: series.map((s) => s.appointments), itemStyle: { color: '#389e0d' }, smooth: true },
      ],
    });
    const resize = (): void => chart.resize();
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      chart.dispose();
    };
  }, [series, range, labels.calls, labels.appointments]);
  return <div ref={el} className="stats-chart" data-testid="stats-chart" />;
}
