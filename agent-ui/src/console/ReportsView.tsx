import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import { App, Button, Card, DatePicker, InputNumber, Select, Space, Table, Tabs, Tag } from 'antd';
import { DownloadOutlined, ReloadOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import { useTranslation } from 'react-i18next';
import { errorText } from '../i18n';
import { ApiFailure } from '../shell/api';
import { useShell } from '../shell/context';
import { download, type FunnelRow, type IntervalReport, type QueueView, type ReportRow, type StaffingRow } from './console-api';

const ReportChart = lazy(() => import('./ReportChart'));
const pct = (v: number | null): string => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);
const secs = (v: number | null): string => (v === null ? '—' : `${(v / 1000).toFixed(1)}`);

/** Reports: interval figures with chart and export, the DCC funnel, Erlang C staffing beside actual staffing. */
export default function ReportsView(): React.JSX.Element {
  const { t } = useTranslation();
  return (
    <Card title={t('console.reports.title')}>
      <Tabs items={[
        { key: 'intervals', label: t('console.reports.intervals'), children: <Intervals /> },
        { key: 'funnel', label: t('console.reports.funnel'), children: <Funnel /> },
        { key: 'staffing', label: t('console.reports.staffing'), children: <Staffing /> },
      ]} />
    </Card>
  );
}

function Intervals(): React.JSX.Element {
  const { api } = useShell();
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [dim, setDim] = useState('queue');
  const [grain, setGrain] = useState('60m');
  const [range, setRange] = useState<[dayjs.Dayjs, dayjs.Dayjs]>(() => {
    const q = new URLSearchParams(window.location.search);
    return [dayjs(q.get('from') ?? undefined).startOf('day'), dayjs(q.get('to') ?? q.get('from') ?? undefined).startOf('day')];
  });
  const [report, setReport] = useState<IntervalReport | undefined>();
  const qs = `dim=${dim}&grain=${grain}&from=${range[0].format('YYYY-MM-DD')}&to=${range[1].format('YYYY-MM-DD')}`;
  const fail = useCallback((err: unknown) => void message.error(err instanceof ApiFailure ? errorText(t, err.code, err.message) : String(err)), [message, t]);
  const load = useCallback(() => api.get<IntervalReport>(`/api/reports/intervals?${qs}`).then(setReport).catch(fail), [api, qs, fail]);
  useEffect(() => void load(), [load]);
  const rows = useMemo(() => report?.rows ?? [], [report]);
  const option = useMemo(() => {
    const intervals = [...new Set(rows.map((r) => r.interval))];
    const sum = (i: string, f: 'offered' | 'answered' | 'abandoned'): number => rows.filter((r) => r.interval === i).reduce((n, r) => n + r[f], 0);
    return {
      grid: { left: 40, right: 40, top: 30, bottom: 30 },
      legend: { top: 0 },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: intervals.map((i) => (i.length > 10 ? i.slice(11) : i.slice(5))) },
      yAxis: [{ type: 'value', minInterval: 1 }, { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } }],
      series: [
        { name: t('console.reports.offered'), type: 'bar', data: intervals.map((i) => sum(i, 'offered')), itemStyle: { color: '#91caff' } },
        { name: t('console.reports.answered'), type: 'bar', data: intervals.map((i) => sum(i, 'answered')), itemStyle: { color: '#1668dc' } },
        { name: t('console.reports.abandoned'), type: 'bar', data: intervals.map((i) => sum(i, 'abandoned')), itemStyle: { color: '#ff7875' } },
      ],
    };
  }, [rows, t]);
  const columns = [
    { title: t('console.reports.interval'), dataIndex: 'interval', render: (i: string) => (i === 'total' ? <Tag color="blue">{t('console.reports.total')}</Tag> : i.replace('T', ' ')) },
    { title: t(`console.reports.dims.${dim}`), dataIndex: 'key' },
    { title: t('console.reports.offered'), dataIndex: 'offered' },
    { title: t('console.reports.answered'), dataIndex: 'answered' },
    { title: t('console.reports.abandoned'), dataIndex: 'abandoned' },
    { title: t('console.reports.sl'), dataIndex: 'serviceLevel', render: pct },
    { title: t('console.reports.asa'), dataIndex: 'asaMs', render: secs },
    { title: t('console.reports.aht'), dataIndex: 'ahtMs', render: secs },
    { title: t('console.reports.abandonRate'), dataIndex: 'abandonRate', render: pct },
    { title: t('console.reports.occupancy'), dataIndex: 'occupancy', render: pct },
  ];
  const token = (): string | undefined => api.currentToken();
  return (
    <>
      <Space wrap style={{ marginBottom: 12 }}>
        <Select value={dim} onChange={setDim} style={{ width: 120 }} data-testid="report-dim" options={['queue', 'agent', 'store', 'campaign'].map((d) => ({ value: d, label: t(`console.reports.dims.${d}`) }))} />
        <Select value={grain} onChange={setGrain} style={{ width: 120 }} data-testid="report-grain" options={['15m', '30m', '60m', 'day', 'week'].map((g) => ({ value: g, label: t(`console.reports.grains.${g}`) }))} />
        <DatePicker.RangePicker value={range} allowClear={false} onChange={(v) => v?.[0] && v[1] && setRange([v[0], v[1]])} />
        <Button icon={<ReloadOutlined />} onClick={() => void load()} data-testid="report-refresh">{t('console.reports.refresh')}</Button>
        <Button icon={<DownloadOutlined />} onClick={() => void download(token(), `/api/reports/intervals/export?${qs}&format=csv`, 'report.csv').catch(fail)} data-testid="export-csv">CSV</Button>
        <Button icon={<DownloadOutlined />} onClick={() => void download(token(), `/api/reports/intervals/export?${qs}&format=xlsx`, 'report.xlsx').catch(fail)} data-testid="export-xlsx">Excel</Button>
      </Space>
      <Suspense fallback={null}>{rows.length > 0 && <ReportChart option={option} height={220} testId="report-chart" />}</Suspense>
      <Table<ReportRow> rowKey={(r) => `${r.interval}|${r.key}`} size="small" dataSource={[...(report?.totals ?? []), ...rows]} pagination={{ pageSize: 8 }} columns={columns} data-testid="report-table" />
      <div className="small" style={{ color: '#8c8c8c' }}>{t('console.reports.formulas')}</div>
    </>
  );
}

function Funnel(): React.JSX.Element {
  const { api } = useShell();
  const { t } = useTranslation();
  const [by, setBy] = useState('store');
  const [range, setRange] = useState<[dayjs.Dayjs, dayjs.Dayjs]>([dayjs().subtract(29, 'day'), dayjs()]);
  const [rows, setRows] = useState<FunnelRow[]>([]);
  useEffect(() => {
    api.get<FunnelRow[]>(`/api/reports/funnel?by=${by}&from=${range[0].format('YYYY-MM-DD')}&to=${range[1].format('YYYY-MM-DD')}`).then(setRows).catch(() => undefined);
  }, [api, by, range]);
  const total = rows.reduce((a, r) => ({ contacts: a.contacts + r.contacts, appointments: a.appointments + r.appointments, visits: a.visits + r.visits, wonBack: a.wonBack + r.wonBack }), { contacts: 0, appointments: 0, visits: 0, wonBack: 0 });
  const option = useMemo(() => ({
    tooltip: { trigger: 'item' },
    series: [{ type: 'funnel', left: '10%', width: '80%', sort: 'none', label: { formatter: '{b}: {c}' }, data: [
      { name: t('console.reports.contacts'), value: total.contacts },
      { name: t('console.reports.appointments'), value: total.appointments },
      { name: t('console.reports.visits'), value: total.visits },
      { name: t('console.reports.wonBack'), value: total.wonBack },
    ] }],
  }), [total.contacts, total.appointments, total.visits, total.wonBack, t]);
  const cad = (g: 'A' | 'B' | 'C') => (_: unknown, r: FunnelRow) => (r.cadence ? `${pct(r.cadence[g].share)} (${r.cadence[g].onTime}/${r.cadence[g].leads})` : '—');
  return (
    <>
      <Space style={{ marginBottom: 12 }}>
        <Select value={by} onChange={setBy} style={{ width: 120 }} options={['agent', 'store', 'campaign'].map((d) => ({ value: d, label: t(`console.reports.dims.${d}`) }))} />
        <DatePicker.RangePicker value={range} allowClear={false} onChange={(v) => v?.[0] && v[1] && setRange([v[0], v[1]])} />
      </Space>
      <Suspense fallback={null}><ReportChart option={option} height={200} /></Suspense>
      <Table<FunnelRow> rowKey="key" size="small" dataSource={rows} pagination={{ pageSize: 8 }} columns={[
        { title: t(`console.reports.dims.${by}`), dataIndex: 'key' },
        { title: t('console.reports.contacts'), dataIndex: 'contacts' },
        { title: t('console.reports.appointments'), dataIndex: 'appointments' },
        { title: t('console.reports.visits'), dataIndex: 'visits' },
        { title: t('console.reports.wonBack'), dataIndex: 'wonBack' },
        { title: t('console.reports.cadence', { g: 'A' }), render: cad('A') },
        { title: t('console.reports.cadence', { g: 'B' }), render: cad('B') },
        { title: t('console.reports.cadence', { g: 'C' }), render: cad('C') },
      ]} />
    </>
  );
}

function Staffing(): React.JSX.Element {
  const { api } = useShell();
  const { t } = useTranslation();
  const [queues, setQueues] = useState<QueueView[]>([]);
  const [queueId, setQueueId] = useState<string | undefined>();
  const [date, setDate] = useState(dayjs());
  const [target, setTarget] = useState(80);
  const [threshold, setThreshold] = useState(20);
  const [shrinkage, setShrinkage] = useState(30);
  const [rows, setRows] = useState<StaffingRow[]>([]);
  useEffect(() => {
    api.get<QueueView[]>('/api/queues').then((q) => { setQueues(q); setQueueId((cur) => cur ?? q[0]?.queueId); }).catch(() => undefined);
  }, [api]);
  useEffect(() => {
    if (!queueId) return;
    api.get<{ rows: StaffingRow[] }>(`/api/reports/staffing?queueId=${queueId}&date=${date.format('YYYY-MM-DD')}&targetSl=${target / 100}&thresholdSec=${threshold}&shrinkage=${shrinkage / 100}`).then((r) => setRows(r.rows)).catch(() => undefined);
  }, [api, queueId, date, target, threshold, shrinkage]);
  const option = useMemo(() => ({
    grid: { left: 40, right: 16, top: 30, bottom: 30 },
    legend: { top: 0 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: rows.map((r) => r.interval.slice(11)) },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: t('console.reports.needed'), type: 'bar', data: rows.map((r) => r.agents), itemStyle: { color: '#1668dc' } },
      { name: t('console.reports.scheduled'), type: 'bar', data: rows.map((r) => r.scheduled), itemStyle: { color: '#91caff' } },
      { name: t('console.reports.actual'), type: 'line', data: rows.map((r) => r.actualAgents), itemStyle: { color: '#fa8c16' } },
    ],
  }), [rows, t]);
  return (
    <>
      <Space wrap style={{ marginBottom: 12 }}>
        <Select value={queueId} onChange={setQueueId} style={{ width: 160 }} options={queues.map((q) => ({ value: q.queueId, label: q.name }))} />
        <DatePicker value={date} allowClear={false} onChange={(d) => d && setDate(d)} />
        <InputNumber addonBefore={t('console.reports.targetSl')} addonAfter="%" min={50} max={99} value={target} onChange={(v) => setTarget(v ?? 80)} style={{ width: 170 }} />
        <InputNumber addonBefore={t('console.reports.threshold')} addonAfter={t('common.seconds')} min={5} max={120} value={threshold} onChange={(v) => setThreshold(v ?? 20)} style={{ width: 170 }} />
        <InputNumber addonBefore={t('console.reports.shrinkage')} addonAfter="%" min={0} max={60} value={shrinkage} onChange={(v) => setShrinkage(v ?? 30)} style={{ width: 170 }} />
      </Space>
      <Suspense fallback={null}>{rows.length > 0 && <ReportChart option={option} height={220} />}</Suspense>
      <Table<StaffingRow> rowKey="interval" size="small" dataSource={rows} pagination={{ pageSize: 8 }} columns={[
        { title: t('console.reports.interval'), dataIndex: 'interval', render: (i: string) => i.replace('T', ' ') },
        { title: t('console.reports.calls'), dataIndex: 'calls' },
        { title: t('console.reports.aht'), dataIndex: 'ahtSec' },
        { title: 'Erlang', dataIndex: 'erlangs' },
        { title: t('console.reports.needed'), dataIndex: 'agents' },
        { title: t('console.reports.scheduled'), dataIndex: 'scheduled' },
        { title: t('console.reports.actual'), dataIndex: 'actualAgents' },
        { title: t('console.reports.sl'), dataIndex: 'serviceLevel', render: (v: number) => pct(v) },
      ]} />
    </>
  );
}
