import { useEffect, useRef } from 'react';
import * as echarts from 'echarts/core';
import { GaugeChart } from 'echarts/charts';
import { SVGRenderer } from 'echarts/renderers';
import { slTone, TONE_COLOR } from './model';

echarts.use([GaugeChart, SVGRenderer]);

/** Service level as a gauge: the arc in the tone of the target (met, within 10 points, missed). */
export function SlGauge({ sl, target, size, dark }: { sl: number | null; target: number; size: number; dark?: boolean }): React.JSX.Element {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | undefined>(undefined);
  useEffect(() => {
    if (!el.current) return undefined;
    chart.current = echarts.init(el.current, undefined, { renderer: 'svg' });
    return () => chart.current?.dispose();
  }, []);
  useEffect(() => {
    const color = TONE_COLOR[slTone(sl, target)];
    const track = dark ? '#303a4f' : '#f0f0f0';
    chart.current?.setOption({
      animation: false,
      series: [
        {
          type: 'gauge',
          startAngle: 210,
          endAngle: -30,
          min: 0,
          max: 100,
          radius: '96%',
          center: ['50%', '58%'],
          progress: { show: true, width: size / 11, itemStyle: { color } },
          axisLine: { lineStyle: { width: size / 11, color: [[1, track]] } },
          pointer: { show: false },
          axisTick: { show: false },
          splitLine: { show: false },
          axisLabel: { show: false },
          anchor: { show: false },
          title: { show: false },
          detail: { valueAnimation: false, offsetCenter: [0, '4%'], fontSize: size / 5.6, fontWeight: 600, color, formatter: sl === null ? '—' : '{value}%' },
          data: [{ value: sl === null ? 0 : Math.round(sl * 100) }],
        },
      ],
    });
  }, [sl, target, size, dark]);
  return <div ref={el} style={{ width: size, height: size * 0.78 }} data-testid="sl-gauge" data-sl={sl === null ? '' : Math.round(sl * 100)} data-tone={slTone(sl, target)} />;
}
