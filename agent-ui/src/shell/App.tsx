import { useCallback, useEffect, useState } from 'react';
import { App as AntApp, ConfigProvider, theme } from 'antd';
import zhCN from 'antd/locale/zh_CN';
import enUS from 'antd/locale/en_US';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { I18nextProvider, useTranslation } from 'react-i18next';
import { i18n } from '../i18n';
import { LoginPage, type LoginNotice } from './LoginPage';
import { ShellView } from './ShellView';
import { loadSession, saveSession, type StoredSession } from './session';
import { SessionKeeper } from './session-keeper';

const FONT = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", "Hiragino Sans GB", -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

function Root(): React.JSX.Element {
  const { i18n: i } = useTranslation();
  const [notice, setNotice] = useState<LoginNotice | undefined>();
  const signedOut = useCallback((why?: LoginNotice) => {
    saveSession(undefined);
    setNotice(why);
    setKeeper(undefined);
  }, []);
  const keep = useCallback((s: StoredSession) => new SessionKeeper(s, (failure) => signedOut({ kind: 'ended', code: failure.code === 'network' ? 'session_expired' : failure.code, message: failure.message })), [signedOut]);
  const [keeper, setKeeper] = useState<SessionKeeper | undefined>(() => {
    const s = loadSession();
    return s ? keep(s) : undefined;
  });
  const zh = i.language !== 'en';

  useEffect(() => {
    dayjs.locale(zh ? 'zh-cn' : 'en');
    document.documentElement.lang = i.language;
    document.title = i.t('app.title');
  }, [zh, i]);

  const signedIn = useCallback(
    (s: StoredSession) => {
      saveSession(s);
      setNotice(undefined);
      setKeeper(keep(s));
    },
    [keep],
  );

  return (
    <ConfigProvider
      locale={zh ? zhCN : enUS}
      theme={{ algorithm: theme.defaultAlgorithm, token: { colorPrimary: '#1668dc', borderRadius: 6, fontFamily: FONT, fontSize: 14 }, components: { Layout: { headerBg: '#001529', headerHeight: 48, headerPadding: '0 16px' } } }}
    >
      <AntApp>{keeper ? <ShellView key={keeper.current().username} keeper={keeper} onSignedOut={signedOut} /> : <LoginPage notice={notice} onSignedIn={signedIn} />}</AntApp>
    </ConfigProvider>
  );
}

export function App(): React.JSX.Element {
  return (
    <I18nextProvider i18n={i18n}>
      <Root />
    </I18nextProvider>
  );
}
