import { useState } from 'react';
import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { LockOutlined, PhoneFilled, UserOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import type { ErrorCode } from '@shared/errors';
import { errorText } from '../i18n';
import { ApiFailure } from './api';
import { LanguageSwitch } from './LanguageSwitch';
import { logIn, type StoredSession } from './session';

/** Why the login page is shown again: the desk's connection was refused or the server ended the session. */
export interface LoginNotice {
  kind: 'refused' | 'ended';
  code: ErrorCode;
  message: string;
}

export function LoginPage({ notice, onSignedIn }: { notice: LoginNotice | undefined; onSignedIn: (s: StoredSession) => void }): React.JSX.Element {
  const { t } = useTranslation();
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<{ code: string; message: string } | undefined>();

  const submit = async (v: { username: string; password: string }): Promise<void> => {
    setBusy(true);
    setFailure(undefined);
    try {
      onSignedIn(await logIn(v.username.trim(), v.password));
    } catch (err) {
      if (err instanceof ApiFailure) setFailure({ code: err.status === 401 ? 'wrong_password' : err.code, message: err.message });
      else setFailure({ code: 'internal', message: String(err) });
    } finally {
      setBusy(false);
    }
  };

  const failureText = failure ? (failure.code === 'wrong_password' ? t('login.wrongPassword') : t('login.failed', { reason: errorText(t, failure.code, failure.message) })) : undefined;
  const noticeText = notice ? t(notice.kind === 'refused' ? 'login.refused' : 'login.ended', { reason: errorText(t, notice.code, notice.message) }) : undefined;

  return (
    <div className="login-page">
      <div className="login-lang">
        <LanguageSwitch />
      </div>
      <Card className="login-card" variant="borderless">
        <div className="login-brand">
          <span className="brand-mark">
            <PhoneFilled />
          </span>
          <div>
            <Typography.Title level={3} style={{ margin: 0 }}>
              {t('login.title')}
            </Typography.Title>
            <Typography.Text type="secondary">{t('login.subtitle')}</Typography.Text>
          </div>
        </div>
        {noticeText && <Alert data-testid="login-notice" type="warning" showIcon title={noticeText} style={{ marginBottom: 16 }} />}
        <Form layout="vertical" requiredMark={false} onFinish={(v: { username: string; password: string }) => void submit(v)} disabled={busy}>
          <Form.Item name="username" label={t('login.username')} rules={[{ required: true, message: t('login.usernameRequired') }]}>
            <Input id="username" data-testid="username" size="large" prefix={<UserOutlined />} autoComplete="username" autoFocus />
          </Form.Item>
          <Form.Item name="password" label={t('login.password')} rules={[{ required: true, message: t('login.passwordRequired') }]}>
            <Input.Password id="password" data-testid="password" size="large" prefix={<LockOutlined />} autoComplete="current-password" />
          </Form.Item>
          {failureText && <Alert data-testid="login-error" type="error" showIcon title={failureText} style={{ marginBottom: 16 }} />}
          <Button data-testid="login-button" type="primary" htmlType="submit" size="large" block loading={busy}>
            {t('login.submit')}
          </Button>
        </Form>
      </Card>
      <div className="login-foot">DCC CTI · zh-CN / English</div>
    </div>
  );
}
