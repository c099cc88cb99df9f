import { useEffect, useRef, useState } from 'react';
import { Button, Progress, Select, Space, Typography } from 'antd';
import { PhoneFilled, StepForwardOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';

const SKIP_REASONS = ['wrong_time', 'recently_contacted', 'data_issue', 'other'] as const;

/** Dial or skip (with a reason) the lead on the preview card; with the campaign's countdown it dials by itself at 0. */
export function PreviewControls({ leadId, countdownSeconds, dialling, onDial, onSkip }: { leadId: string; countdownSeconds: number | undefined; dialling: boolean; onDial: () => void; onSkip: (reason: string) => void }): React.JSX.Element {
  const { t } = useTranslation();
  const [reason, setReason] = useState<string>('wrong_time');
  const [left, setLeft] = useState(countdownSeconds);
  const fired = useRef(false);

  useEffect(() => {
    setLeft(countdownSeconds);
    fired.current = false;
    if (!countdownSeconds) return undefined;
    const started = Date.now();
    const timer = setInterval(() => setLeft(Math.max(0, countdownSeconds - Math.floor((Date.now() - started) / 1000))), 250);
    return () => clearInterval(timer);
  }, [leadId, countdownSeconds]);

  useEffect(() => {
    if (left === 0 && countdownSeconds && !fired.current && !dialling) {
      fired.current = true;
      onDial();
    }
  }, [left, countdownSeconds, dialling, onDial]);

  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {countdownSeconds && left !== undefined && !dialling ? (
        <div data-testid="preview-countdown">
          <Typography.Text type="warning">{t('outbound.countdown', { s: left })}</Typography.Text>
          <Progress percent={Math.round((left / countdownSeconds) * 100)} showInfo={false} size="small" status="active" />
        </div>
      ) : null}
      <Space wrap>
        <Button data-testid="preview-dial" type="primary" size="large" icon={<PhoneFilled />} loading={dialling} onClick={onDial}>
          {dialling ? t('phone.dialling') : t('outbound.dial')}
        </Button>
        <Space.Compact>
          <Select data-testid="skip-reason" style={{ width: 150 }} value={reason} onChange={setReason} options={SKIP_REASONS.map((r) => ({ value: r, label: t(`outbound.skipReasons.${r}`) }))} aria-label={t('outbound.skipReason')} />
          <Button data-testid="preview-skip" size="large" icon={<StepForwardOutlined />} disabled={dialling} onClick={() => onSkip(reason)}>
            {t('outbound.skip')}
          </Button>
        </Space.Compact>
      </Space>
    </Space>
  );
}
