import { memo, useCallback, useEffect, useMemo, useState } from 'react';
import { Alert, Button, DatePicker, Empty, Input, Radio, Result, Segmented, Select, Space, Switch, Tag, TimePicker, Typography } from 'antd';
import { CalendarOutlined, CheckCircleFilled, SaveOutlined } from '@ant-design/icons';
import dayjs, { type Dayjs } from 'dayjs';
import { useTranslation } from 'react-i18next';
import type { AgentCommandPayload } from '@shared/agent-events';
import type { ConsultantDay, StoreRef } from '@shared/desk-api';
import type { CommandAck } from '@shared/errors';
import type { Api } from '../shell/api';
import { buildDisposition, emptyDraft, type DispositionDraft, type DraftErrors } from './disposition';
import { codeForHotkey, hotkeyOf, type CallView } from './model';
import { errorText } from '../i18n';

const GRADES = ['A', 'B', 'C', 'H', 'O', 'F'] as const;

export interface DispositionFormProps {
  call: CallView | undefined;
  stores: readonly StoreRef[];
  api: Api;
  /** The server's clock now (read when the form is checked). */
  now: () => number;
  /** The form asks for attention (the agent tried to go ready first). */
  attention: number;
  onSave(payload: AgentCommandPayload<'call:disposition'>): Promise<CommandAck>;
}

/** True when a key press belongs to a text field (hotkeys leave those alone). */
function typing(e: KeyboardEvent): boolean {
  const el = e.target as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.isContentEditable);
}

/** The call's outcome: the queue's or campaign's codes with digit hotkeys, notes, a store visit, follow-up, grade. */
export const DispositionForm = memo(function DispositionForm(p: DispositionFormProps): React.JSX.Element {
  const { t } = useTranslation();
  const c = p.call;
  // one form per call: the page keys this component by the call id
  const [draft, setDraft] = useState<DispositionDraft>(() => ({ ...emptyDraft, storeId: p.stores[0]?.storeId }));
  const [errors, setErrors] = useState<DraftErrors>({});
  const [refusal, setRefusal] = useState<string | undefined>();
  const [saving, setSaving] = useState(false);
  const [consultants, setConsultants] = useState<ConsultantDay[] | undefined>();
  const codes = useMemo(() => c?.dispositionCodes ?? [], [c?.dispositionCodes]);
  const saved = c?.savedCode;
  const canSave = c?.phase === 'wrap_up' || c?.phase === 'done';
  const store = p.stores.find((s) => s.storeId === draft.storeId);
  const timeZone = store?.timeZone ?? p.stores[0]?.timeZone ?? 'Asia/Shanghai';

  const set = useCallback(<K extends keyof DispositionDraft>(k: K, v: DispositionDraft[K]) => setDraft((d) => ({ ...d, [k]: v })), []);

  // one-key hotkeys for the codes (VICIdial style), outside text fields
  useEffect(() => {
    if (!c || saved) return undefined;
    const onKey = (e: KeyboardEvent): void => {
      if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
      const code = codeForHotkey(codes, e.key);
      if (code) {
        set('code', code);
        if (code === 'appointment_set') set('appointment', true);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [c, codes, saved, set]);

  // the appointment picker: the store's consultants and their bookings that day
  useEffect(() => {
    if (!draft.appointment || !draft.storeId || !draft.date) return;
    let gone = false;
    p.api
      .get<ConsultantDay[]>(`/api/stores/${encodeURIComponent(draft.storeId)}/consultants?date=${draft.date}`)
      .then((list) => !gone && setConsultants(list))
      .catch(() => !gone && setConsultants([]));
    return () => {
      gone = true;
    };
  }, [draft.appointment, draft.storeId, draft.date, p.api]);

  const save = async (): Promise<void> => {
    if (!c) return;
    setRefusal(undefined);
    const built = buildDisposition(c.callId, draft, { now: p.now(), timeZone, hasCustomer: !!c.customer, campaign: c.direction === 'outbound' });
    if (!built.ok) {
      setErrors(built.errors);
      return;
    }
    setErrors({});
    setSaving(true);
    const ack = await p.onSave(built.payload);
    setSaving(false);
    if (!ack.ok) setRefusal(errorText(t, ack.code, ack.error));
  };

  if (!c) {
    return (
      <div className="tab-empty">
        <Empty description={t('pop.waitingTitle')} />
      </div>
    );
  }

  if (saved) {
    return (
      <Result
        data-testid="disposition-saved"
        status="success"
        icon={<CheckCircleFilled />}
        title={t('disposition.saved', { code: t(`codes.${saved}`, { defaultValue: saved }) })}
        subTitle={draft.appointment && draft.consultant && draft.date && draft.time ? t('disposition.savedAppointment', { consultant: consultants?.find((x) => x.username === draft.consultant)?.displayName ?? draft.consultant, at: `${draft.date} ${draft.time}` }) : undefined}
      />
    );
  }

  const err = (k: keyof DraftErrors): React.ReactNode => (errors[k] ? <div className="field-error" data-testid={`error-${k}`}>{t(errors[k] as string)}</div> : null);
  const chosenConsultant = consultants?.find((x) => x.username === draft.consultant);

  return (
    <div className={`disposition ${p.attention ? 'attention' : ''}`} key={p.attention} data-testid="disposition">
      {!canSave && <Alert type="info" showIcon title={t('disposition.editable')} className="mini-alert" />}
      {canSave && (p.attention > 0 ? <Alert data-testid="disposition-required" type="warning" showIcon title={t('disposition.required')} className="mini-alert" /> : <Alert type="info" showIcon title={t('disposition.fillIn')} className="mini-alert" />)}
      <div className="field">
        <div className="field-label">
          {t('disposition.code')} <Typography.Text type="secondary">· {t('disposition.hotkeyHint')}</Typography.Text>
        </div>
        <div className="code-grid" role="radiogroup" aria-label={t('disposition.code')}>
          {codes.map((code, i) => (
            <button
              key={code}
              type="button"
              role="radio"
              aria-checked={draft.code === code}
              data-testid={`code-${code}`}
              className={`code-btn ${draft.code === code ? 'on' : ''}`}
              onClick={() => {
                set('code', code);
                if (code === 'appointment_set') set('appointment', true);
              }}
            >
              {hotkeyOf(i) && <kbd>{hotkeyOf(i)}</kbd>}
              {t(`codes.${code}`, { defaultValue: code })}
            </button>
          ))}
        </div>
        {err('code')}
      </div>
      <div className="field">
        <div className="field-label">{t('disposition.notes')}</div>
        <Input.TextArea data-testid="notes" rows={2} maxLength={4000} placeholder={t('disposition.notesPlaceholder')} value={draft.notes} onChange={(e) => set('notes', e.target.value)} />
      </div>
      <div className="field appointment-box">
        <Space>
          <Switch data-testid="appointment-toggle" size="small" checked={draft.appointment} onChange={(v) => set('appointment', v)} />
          <span>
            <CalendarOutlined /> {t('disposition.appointment')}
          </span>
        </Space>
        {draft.appointment && (
          <div className="appointment-fields">
            <div className="form-grid-2">
              <div>
                <div className="field-label">{t('disposition.store')}</div>
                <Select data-testid="appointment-store" style={{ width: '100%' }} value={draft.storeId} onChange={(v) => setDraft((d) => ({ ...d, storeId: v, consultant: undefined }))} options={p.stores.map((s) => ({ value: s.storeId, label: s.name }))} />
                {err('storeId')}
              </div>
              <div>
                <div className="field-label">{t('disposition.date')}</div>
                <DatePicker
                  data-testid="appointment-date"
                  style={{ width: '100%' }}
                  value={draft.date ? dayjs(draft.date) : null}
                  disabledDate={(d: Dayjs) => d.isBefore(dayjs(p.now()).startOf('day'))}
                  onChange={(d: Dayjs | null) => setDraft((x) => ({ ...x, date: d ? d.format('YYYY-MM-DD') : undefined, consultant: undefined }))}
                />
                {err('date')}
              </div>
            </div>
            <div className="field-label">{t('disposition.consultant')}</div>
            {!draft.storeId || !draft.date ? (
              <Typography.Text type="secondary">{t('disposition.pickStore')}</Typography.Text>
            ) : consultants && consultants.length === 0 ? (
              <Typography.Text type="secondary">{t('disposition.noConsultants')}</Typography.Text>
            ) : (
              <Radio.Group className="consultant-list" value={draft.consultant} onChange={(e) => set('consultant', e.target.value as string)}>
                {(consultants ?? []).map((x) => (
                  <Radio key={x.username} value={x.username} data-testid={`consultant-${x.username}`}>
                    <span className="consultant-name">{x.displayName}</span>
                    <Typography.Text type="secondary" className="small">
                      {x.bookings.length ? t('disposition.consultantBookings', { n: x.bookings.length }) : t('disposition.consultantFree')}
                    </Typography.Text>
                  </Radio>
                ))}
              </Radio.Group>
            )}
            {err('consultant')}
            {chosenConsultant && chosenConsultant.bookings.length > 0 && (
              <div className="bookings" data-testid="consultant-bookings">
                <Typography.Text type="secondary" className="small">
                  {t('disposition.bookingsOf', { name: chosenConsultant.displayName })}
                </Typography.Text>
                <Space size={4} wrap>
                  {chosenConsultant.bookings.map((b) => (
                    <Tag key={b.at} color="orange">
                      {dayjs(b.at).format('HH:mm')} {b.customerName ?? ''}
                    </Tag>
                  ))}
                </Space>
              </div>
            )}
            <div className="field-label">{t('disposition.time')}</div>
            <TimePicker
              data-testid="appointment-time"
              format="HH:mm"
              minuteStep={15}
              hideDisabledOptions
              disabledTime={() => ({ disabledHours: () => [0, 1, 2, 3, 4, 5, 6, 7, 21, 22, 23] })}
              value={draft.time ? dayjs(`2000-01-01T${draft.time}`) : null}
              onChange={(d: Dayjs | null) => set('time', d ? d.format('HH:mm') : undefined)}
              needConfirm={false}
            />
            {err('time')}
          </div>
        )}
      </div>
      <div className="form-grid-2 field">
        <div>
          <div className="field-label">{t('disposition.followUp')}</div>
          <DatePicker
            data-testid="follow-up"
            showTime={{ format: 'HH:mm', minuteStep: 15 }}
            format="YYYY-MM-DD HH:mm"
            style={{ width: '100%' }}
            value={draft.followUp ? dayjs(draft.followUp) : null}
            disabledDate={(d: Dayjs) => d.isBefore(dayjs(p.now()).startOf('day'))}
            onChange={(d: Dayjs | null) => set('followUp', d ? d.format('YYYY-MM-DD HH:mm') : undefined)}
          />
          {err('followUp')}
        </div>
        <div>
          <div className="field-label">{t('disposition.grade')}</div>
          <Select
            data-testid="grade-change"
            style={{ width: '100%' }}
            allowClear
            placeholder={t('disposition.gradeKeep')}
            value={draft.grade}
            onChange={(v: string | undefined) => set('grade', v)}
            options={GRADES.map((g) => ({ value: g, label: t(`grades.${g}`) }))}
          />
        </div>
      </div>
      {c.direction === 'outbound' && draft.followUp && (
        <div className="field">
          <div className="field-label">{t('disposition.followUpScope')}</div>
          <Segmented value={draft.callbackScope} onChange={(v) => set('callbackScope', v as 'personal' | 'team')} options={(['team', 'personal'] as const).map((s) => ({ value: s, label: t(`disposition.scope.${s}`) }))} />
        </div>
      )}
      {err('customer')}
      {refusal && <Alert data-testid="disposition-refusal" type="error" showIcon title={refusal} className="mini-alert" />}
      <Space className="form-actions">
        <Button data-testid="save-disposition" type="primary" icon={<SaveOutlined />} loading={saving} disabled={!canSave} onClick={() => void save()}>
          {t('disposition.save')}
        </Button>
      </Space>
    </div>
  );
});
