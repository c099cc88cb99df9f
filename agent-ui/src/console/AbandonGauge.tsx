import { useEffect, useRef } from 'react';
import * as echarts from 'echarts/core';
import { GaugeChart } from 'echarts/charts';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([GaugeChart, SVGRenderer]);

/** An abandon rate on a 0–6 % dial with the legal 3 % limit marked: green below 2 %, amber to 3 %, red beyond. */
export default function AbandonGauge({ rate, limit, title, testId }: { rate: number; limit: number; title: string; testId: string }): React.JSX.Element {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | undefined>(undefined);
  useEffect(() => {
    if (!el.current) return undefined;
    chart.current = echarts.init(el.current, undefined, { renderer: 'svg' });
    return () => chart.current?.dispose();
  }, []);
  useEffect(() => {
    const max = Math.max(6, Math.ceil(rate * 100));
    chart.current?.setOption({
      animation: false,
      series: [
        {
          type: 'gauge',
          min: 0,
          max,
          radius: '92%',
          center: ['50%', '60%'],
          startAngle: 200,
          endAngle: -20,
          splitNumber: max / 1,
          axisLine: { lineStyle: { width: 12, color: [[(limit * 100 * 2) / 3 / max, '#52c41a'], [(limit * 100) / max, '#faad14'], [1, '#f5222d']] } },
          pointer: { width: 4, length: '60%' },
          axisTick: { distance: -12, length: 4 },
          splitLine: { distance: -12, length: 12 },
          axisLabel: { distance: 14, fontSize: 10, formatter: (v: number) => `${v}%` },
          title: { offsetCenter: [0, '38%'], fontSize: 12 },
          detail: { valueAnimation: false, offsetCenter: [0, '8%'], fontSize: 20, fontWeight: 600, formatter: (v: number) => `${v.toFixed(2)}%` },
          data: [{ value: Number((rate * 100).toFixed(2)), name: title }],
        },
      ],
    });
  }, [rate, limit, title]);
  return <div ref={el} className="gauge" data-testid={testId} data-rate={rate.toFixed(4)} />;
}
