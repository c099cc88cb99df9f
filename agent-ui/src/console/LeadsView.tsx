import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Alert, App, AutoComplete, Button, Card, Checkbox, Col, Form, Input, Modal, Progress, Result, Row, Select, Space, Steps, Table, Tag, Typography, Upload } from 'antd';
import { DownloadOutlined, InboxOutlined, UploadOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { errorText } from '../i18n';
import { ApiFailure } from '../shell/api';
import { useShell } from '../shell/context';
import { download, followEvents, LEAD_FIELDS, rawFetch, type Lead, type LeadField, type LeadList, type Mapping, type UploadPreview, type UploadProgress } from './console-api';

/** Lead lists, their leads (paged, filtered), and the upload wizard: file → column mapping → progress → rejected rows. */
export default function LeadsView(): React.JSX.Element {
  const { api } = useShell();
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [lists, setLists] = useState<LeadList[]>([]);
  const [open, setOpen] = useState<string | undefined>();
  const [wizard, setWizard] = useState(false);
  const fail = useCallback((err: unknown) => void message.error(err instanceof ApiFailure ? errorText(t, err.code, err.message) : String(err)), [message, t]);
  const load = useCallback(() => api.get<LeadList[]>('/api/lead-lists').then(setLists).catch(fail), [api, fail]);
  useEffect(() => void load(), [load]);
  return (
    <Space direction="vertical" style={{ width: '100%' }} size={12}>
      <Card
        title={t('console.leads.title')}
        extra={
          <Button type="primary" icon={<UploadOutlined />} onClick={() => setWizard(true)} data-testid="upload-open">
            {t('console.leads.upload')}
          </Button>
        }
      >
        <Table<LeadList>
          rowKey="listId"
          size="small"
          dataSource={lists}
          pagination={false}
          onRow={(l) => ({ onClick: () => setOpen(l.listId), style: { cursor: 'pointer' } })}
          rowClassName={(l) => (l.listId === open ? 'row-selected' : '')}
          columns={[
            { title: t('console.leads.listId'), dataIndex: 'listId' },
            { title: t('console.leads.name'), dataIndex: 'name' },
            { title: t('console.store'), dataIndex: 'storeId' },
            { title: t('console.leads.count'), dataIndex: 'leads', render: (n: number, l) => <span data-testid={`leads-${l.listId}`}>{n}</span> },
            { title: t('console.leads.createdBy'), dataIndex: 'createdBy' },
            { title: t('console.leads.createdAt'), dataIndex: 'createdAt', render: (s: string) => new Date(s).toLocaleString() },
          ]}
        />
      </Card>
      {open && <LeadsOfList listId={open} />}
      <UploadWizard
        open={wizard}
        lists={lists}
        onClose={() => {
          setWizard(false);
          void load();
        }}
      />
    </Space>
  );
}

function LeadsOfList({ listId }: { listId: string }): React.JSX.Element {
  const { api } = useShell();
  const { t } = useTranslation();
  const [page, setPage] = useState(1);
  const [filter, setFilter] = useState<{ q?: string; grade?: string; status?: string }>({});
  const [data, setData] = useState<{ total: number; leads: Lead[] }>({ total: 0, leads: [] });
  useEffect(() => {
    const qs = new URLSearchParams({ page: String(page), limit: '10', ...Object.fromEntries(Object.entries(filter).filter(([, v]) => v)) });
    api.get<{ total: number; leads: Lead[] }>(`/api/lead-lists/${listId}/leads?${qs.toString()}`).then(setData).catch(() => undefined);
  }, [api, listId, page, filter]);
  return (
    <Card title={t('console.leads.leadsOf', { id: listId })} size="small" extra={
      <Space>
        <Input.Search allowClear placeholder={t('console.leads.search')} onSearch={(q) => { setPage(1); setFilter((f) => ({ ...f, q })); }} style={{ width: 200 }} />
        <Select allowClear placeholder={t('console.leads.grade')} style={{ width: 100 }} options={['A', 'B', 'C', 'H', 'O', 'F'].map((g) => ({ value: g, label: g }))} onChange={(grade?: string) => { setPage(1); setFilter((f) => ({ ...f, grade })); }} />
        <Select allowClear placeholder={t('console.leads.status')} style={{ width: 120 }} options={['new', 'in_progress', 'done', 'dnc'].map((s) => ({ value: s, label: t(`console.leads.statuses.${s}`) }))} onChange={(status?: string) => { setPage(1); setFilter((f) => ({ ...f, status })); }} />
      </Space>
    }>
      <Table<Lead>
        rowKey="leadId"
        size="small"
        dataSource={data.leads}
        pagination={{ current: page, pageSize: 10, total: data.total, onChange: setPage, showTotal: (n) => t('console.total', { n }) }}
        columns={[
          { title: t('console.leads.phone'), dataIndex: 'phone', className: 'mono' },
          { title: t('console.leads.name'), dataIndex: 'name' },
          { title: t('console.leads.grade'), dataIndex: 'grade', render: (g?: string) => (g ? <Tag color={g === 'A' ? 'red' : g === 'B' ? 'orange' : 'blue'}>{g}</Tag> : '—') },
          { title: t('console.leads.status'), dataIndex: 'status', render: (s: string) => t(`console.leads.statuses.${s}`) },
          { title: t('console.leads.attempts'), dataIndex: 'attempts' },
          { title: t('console.leads.consent'), dataIndex: 'consent', render: (c: boolean) => (c ? <Tag color="green">{t('console.yes')}</Tag> : <Tag>{t('console.no')}</Tag>) },
          { title: t('console.leads.lastOutcome'), dataIndex: 'lastOutcome', render: (o?: string) => (o ? t(`console.outcomes.${o}`, { defaultValue: o }) : '—') },
        ]}
      />
    </Card>
  );
}

function UploadWizard({ open, lists, onClose }: { open: boolean; lists: LeadList[]; onClose: () => void }): React.JSX.Element {
  const { me, api } = useShell();
  const token = useCallback(() => api.currentToken(), [api]);
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [step, setStep] = useState(0);
  const [preview, setPreview] = useState<UploadPreview | undefined>();
  const [mapping, setMapping] = useState<Mapping>({});
  const [progress, setProgress] = useState<UploadProgress | undefined>();
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<{ listId: string; listName: string; storeId: string; consentAll: boolean }>();
  const abort = useRef<AbortController | undefined>(undefined);

  const reset = (): void => {
    abort.current?.abort();
    setStep(0);
    setPreview(undefined);
    setProgress(undefined);
    setMapping({});
    form.resetFields();
  };
  const fail = (err: unknown): void => void message.error(err instanceof ApiFailure ? errorText(t, err.code, err.message) : String(err));

  const send = async (file: File): Promise<void> => {
    setBusy(true);
    try {
      const res = await rawFetch(token(), `/api/lead-uploads?fileName=${encodeURIComponent(file.name)}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: file });
      const p = (await res.json()) as UploadPreview;
      setPreview(p);
      setMapping(p.suggested);
      form.setFieldsValue({ listId: '', listName: file.name.replace(/\.[^.]+$/, ''), storeId: me.stores[0]?.storeId, consentAll: false });
      setStep(1);
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  };

  const start = async (): Promise<void> => {
    if (!preview) return;
    const v = await form.validateFields();
    setBusy(true);
    try {
      const existing = lists.some((l) => l.listId === v.listId);
      const p = await api.post<UploadProgress>(`/api/lead-uploads/${preview.uploadId}/import`, { listId: v.listId, ...(existing ? {} : { storeId: v.storeId, listName: v.listName }), mapping, consentAll: v.consentAll === true });
      setProgress(p);
      setStep(2);
      const ctl = new AbortController();
      abort.current = ctl;
      await followEvents<UploadProgress>(token(), `/api/lead-uploads/${preview.uploadId}/events`, setProgress, ctl.signal).catch(() => undefined);
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  };

  const used = useMemo(() => new Set(Object.values(mapping)), [mapping]);
  const pct = progress && progress.total > 0 ? Math.round((progress.rows / progress.total) * 100) : 0;
  const finished = progress?.status === 'done' || progress?.status === 'failed';

  return (
    <Modal
      open={open}
      width={940}
      title={t('console.leads.upload')}
      onCancel={() => {
        reset();
        onClose();
      }}
      footer={
        step === 1 ? (
          <Button type="primary" loading={busy} onClick={() => void start()} data-testid="import-start">
            {t('console.leads.startImport')}
          </Button>
        ) : finished ? (
          <Button type="primary" onClick={() => { reset(); onClose(); }} data-testid="upload-close">
            {t('common.close')}
          </Button>
        ) : null
      }
      destroyOnHidden
    >
      <Steps size="small" current={step} items={[{ title: t('console.leads.stepFile') }, { title: t('console.leads.stepMap') }, { title: t('console.leads.stepImport') }]} style={{ marginBottom: 16 }} />
      {step === 0 && (
        <Upload.Dragger accept=".csv,.xlsx,text/csv" showUploadList={false} disabled={busy} beforeUpload={(file) => { void send(file); return false; }} data-testid="upload-drop">
          <p className="ant-upload-drag-icon"><InboxOutlined /></p>
          <p className="ant-upload-text">{t('console.leads.dropHint')}</p>
          <p className="ant-upload-hint">{t('console.leads.dropSub')}</p>
        </Upload.Dragger>
      )}
      {step === 1 && preview && (
        <>
          <Alert type="info" showIcon style={{ marginBottom: 12 }} message={t('console.leads.detected', { format: preview.format.toUpperCase(), encoding: preview.encoding === 'gb18030' ? 'GBK / GB18030' : 'UTF-8', total: preview.total })} data-testid="upload-detected" />
          <Form form={form} layout="inline" style={{ marginBottom: 12, rowGap: 8 }}>
            <Form.Item name="listId" label={t('console.leads.target')} rules={[{ required: true, pattern: /^[a-z0-9][a-z0-9-]{0,59}$/, message: t('console.idRule') }]}>
              <AutoComplete style={{ width: 200 }} options={lists.map((l) => ({ value: l.listId, label: `${l.name} (${l.listId})` }))} placeholder={t('console.leads.targetHint')}>
                <Input data-testid="target-list" />
              </AutoComplete>
            </Form.Item>
            <Form.Item name="listName" label={t('console.leads.name')}>
              <Input style={{ width: 160 }} />
            </Form.Item>
            <Form.Item name="storeId" label={t('console.store')}>
              <Select style={{ width: 140 }} options={me.stores.map((s) => ({ value: s.storeId, label: s.name }))} />
            </Form.Item>
            <Form.Item name="consentAll" valuePropName="checked">
              <Checkbox>{t('console.leads.consentAll')}</Checkbox>
            </Form.Item>
          </Form>
          <Row gutter={[8, 8]} style={{ marginBottom: 12 }}>
            {LEAD_FIELDS.map((f: LeadField) => (
              <Col span={8} key={f}>
                <Space.Compact style={{ width: '100%' }}>
                  <span className="map-label">{t(`console.leads.fields.${f}`)}{f === 'phone' ? ' *' : ''}</span>
                  <Select
                    allowClear
                    style={{ flex: 1 }}
                    data-testid={`map-${f}`}
                    value={mapping[f]}
                    placeholder={t('console.leads.notMapped')}
                    options={preview.headers.map((h, i) => ({ value: i, label: `${String.fromCharCode(65 + (i % 26))} · ${h}`, disabled: used.has(i) && mapping[f] !== i }))}
                    onChange={(i?: number) => setMapping((m) => ({ ...m, [f]: i }))}
                  />
                </Space.Compact>
              </Col>
            ))}
          </Row>
          <Table
            size="small"
            pagination={false}
            scroll={{ x: true }}
            rowKey={(_, i) => String(i)}
            dataSource={preview.sample.map((cells) => Object.fromEntries(cells.map((c, i) => [String(i), c])))}
            columns={preview.headers.map((h, i) => {
              const field = LEAD_FIELDS.find((f) => mapping[f] === i);
              return { title: <span>{h}{field && <Tag color="blue" style={{ marginLeft: 6 }}>{t(`console.leads.fields.${field}`)}</Tag>}</span>, dataIndex: String(i), key: String(i) };
            })}
          />
        </>
      )}
      {step === 2 && progress && (
        <div data-testid="import-progress" data-status={progress.status}>
          <Progress percent={finished && progress.status === 'done' ? 100 : pct} status={progress.status === 'failed' ? 'exception' : finished ? 'success' : 'active'} />
          <Typography.Paragraph type="secondary" data-testid="import-counts">
            {t('console.leads.progressLine', { rows: progress.rows, total: progress.total, accepted: progress.accepted, rejected: progress.rejectedTotal, merged: progress.mergedInFile })}
          </Typography.Paragraph>
          {progress.error && <Alert type="error" showIcon message={progress.error} />}
          {finished && (
            <Result
              status={progress.rejectedTotal > 0 ? 'warning' : 'success'}
              title={t('console.leads.doneTitle', { accepted: progress.accepted })}
              subTitle={progress.rejectedTotal > 0 ? t('console.leads.rejectedHint', { n: progress.rejectedTotal }) : undefined}
              extra={
                progress.rejectedTotal > 0 && (
                  <Button icon={<DownloadOutlined />} onClick={() => void download(token(), `/api/lead-uploads/${progress.uploadId}/rejected.csv`, 'rejected.csv').catch(fail)} data-testid="rejected-download">
                    {t('console.leads.downloadRejected')}
                  </Button>
                )
              }
            />
          )}
          {finished && progress.rejectedTotal > 0 && <RejectedRows uploadId={progress.uploadId} />}
        </div>
      )}
    </Modal>
  );
}

/** The first rejected rows on screen (the full list is the CSV). */
function RejectedRows({ uploadId }: { uploadId: string }): React.JSX.Element {
  const { api } = useShell();
  const token = useCallback(() => api.currentToken(), [api]);
  const { t } = useTranslation();
  const [rows, setRows] = useState<{ line: string; reason: string }[]>([]);
  useEffect(() => {
    rawFetch(token(), `/api/lead-uploads/${uploadId}/rejected.csv`)
      .then((r) => r.text())
      .then((text) => {
        const lines = text.replace(/^\uFEFF/, '').trim().split('\r\n').slice(1, 21);
        setRows(lines.map((l) => {
          const m = /^(\d+),("(?:[^"]|"")*"|[^,]*)/.exec(l);
          return { line: m?.[1] ?? '', reason: (m?.[2] ?? '').replace(/^"|"$/g, '').replace(/""/g, '"') };
        }));
      })
      .catch(() => undefined);
  }, [token, uploadId]);
  return (
    <Table size="small" rowKey="line" pagination={false} dataSource={rows} data-testid="rejected-rows" columns={[{ title: t('console.leads.line'), dataIndex: 'line', width: 80 }, { title: t('console.leads.reason'), dataIndex: 'reason' }]} />
  );
}
