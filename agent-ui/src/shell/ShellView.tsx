import { Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Alert, Avatar, Button, Layout, Result, Space, Spin, Tag, Tooltip, Typography } from 'antd';
import { LogoutOutlined, PhoneFilled, ShopOutlined, WifiOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import type { MeProfile } from '@shared/desk-api';
import type { ErrorCode } from '@shared/errors';
import { errorText } from '../i18n';
import { Api, ApiFailure } from './api';
import { ShellContext, type Shell } from './context';
import { LanguageSwitch } from './LanguageSwitch';
import { LiveSocket, type ConnectionState } from './live-socket';
import type { LoginNotice } from './LoginPage';
import { routeFor } from './routes';
import { logOut } from './session';
import type { SessionKeeper } from './session-keeper';

type AnyEvents = Record<string, (payload: never) => void>;

/**
 * The signed-in frame every page shares: who is signed in (name, extension, stores), the live
 * connection with its banner (reconnects by itself; a refusal goes back to the login page with the
 * reason), the language switch, logout. The page (desk, later board and console) renders inside.
 */
export function ShellView({ keeper, onSignedOut }: { keeper: SessionKeeper; onSignedOut: (why?: LoginNotice) => void }): React.JSX.Element {
  const { t } = useTranslation();
  const api = useMemo(() => new Api(() => keeper.current().token, () => onSignedOut({ kind: 'ended', code: 'session_expired', message: 'session expired' })), [keeper, onSignedOut]);
  const [me, setMe] = useState<MeProfile | undefined>();
  const [offset, setOffset] = useState(0);
  const [loadError, setLoadError] = useState<ApiFailure | undefined>();
  const [connection, setConnection] = useState<ConnectionState>({ kind: 'connecting' });
  const [showReconnected, setShowReconnected] = useState(false);
  const [socket, setSocket] = useState<LiveSocket<AnyEvents> | undefined>();
  const socketRef = useRef<LiveSocket<AnyEvents> | undefined>(undefined);

  const refreshMe = useCallback(async () => {
    const sent = Date.now();
    const profile = await api.get<MeProfile>('/api/me');
    const received = Date.now();
    const offsetMs = profile.serverTime - Math.round((sent + received) / 2);
    setOffset(offsetMs);
    setMe(profile);
  }, [api]);

  useEffect(() => {
    keeper.start();
    return () => keeper.stop();
  }, [keeper]);

  useEffect(() => {
    refreshMe().catch((err: unknown) => setLoadError(err instanceof ApiFailure ? err : new ApiFailure(0, 'network', String(err))));
  }, [refreshMe]);

  const route = me ? routeFor(window.location.pathname, me.roles) : undefined;

  useEffect(() => {
    if (!route) return undefined;
    if (window.location.pathname !== route.path) window.history.replaceState(null, '', `${route.path}${window.location.search}`);
    const socket = new LiveSocket<AnyEvents>(route.namespace, () => keeper.current().token);
    socketRef.current = socket;
    setSocket(socket);
    const offState = socket.onState((s) => {
      setConnection(s);
      if (s.kind === 'refused') onSignedOut({ kind: 'refused', code: s.code, message: s.message });
      if (s.kind === 'connected' && s.reconnected) {
        setShowReconnected(true);
        void refreshMe().catch(() => undefined);
      }
    });
    const offEnded = socket.on('session:ended', ((e: { code: ErrorCode; error: string }) => {
      socket.close();
      onSignedOut({ kind: 'ended', code: e.code, message: e.error });
    }) as (p: never) => void);
    return () => {
      offState();
      offEnded();
      socket.close();
      socketRef.current = undefined;
      setSocket(undefined);
    };
  }, [route, keeper, onSignedOut, refreshMe]);

  useEffect(() => {
    if (!showReconnected) return undefined;
    const timer = setTimeout(() => setShowReconnected(false), 4000);
    return () => clearTimeout(timer);
  }, [showReconnected]);

  const logout = useCallback(() => {
    const session = keeper.current();
    const done = (socketRef.current?.command('agent:logout') ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => logOut(session))
      .catch(() => undefined); // signed out here whatever the server said
    done.finally(() => onSignedOut()).catch(() => undefined);
  }, [keeper, onSignedOut]);

  if (loadError) {
    return (
      <Result
        status="warning"
        title={errorText(t, loadError.code, loadError.message)}
        extra={
          <Button type="primary" onClick={() => onSignedOut()}>
            {t('app.logout')}
          </Button>
        }
      />
    );
  }
  if (!me || !socket) {
    return (
      <div className="center-fill">
        <Spin size="large" description={t('app.loading')} />
      </div>
    );
  }

  const shell: Shell<AnyEvents> = { api, me, serverOffset: offset, socket, connection, logout, refreshMe };
  const storeNames = me.stores.map((s) => s.name).join('、');
  const Page = route?.page;

  return (
    <ShellContext.Provider value={shell}>
      <Layout className="shell">
        <Layout.Header className="shell-header">
          <Space size={10} className="shell-brand">
            <span className="brand-mark small">
              <PhoneFilled />
            </span>
            <Typography.Text strong style={{ color: '#fff', fontSize: 15 }}>
              {route ? t(route.titleKey) : t('app.brand')}
            </Typography.Text>
          </Space>
          <div className="shell-right">
            <ConnectionTag connection={connection} />
            <Tooltip title={`${t('shell.stores')}: ${storeNames}`}>
              <span className="shell-stores" data-testid="stores">
                <ShopOutlined /> {storeNames || '—'}
              </span>
            </Tooltip>
            <span className="shell-user" data-testid="user">
              <Avatar size={26} style={{ background: '#1668dc' }}>
                {me.displayName.slice(0, 1)}
              </Avatar>
              <span className="shell-user-name">{me.displayName}</span>
              <span className="shell-ext" data-testid="extension">
                {me.extension ? t('shell.extension', { ext: me.extension }) : t('shell.noExtension')}
              </span>
            </span>
            <LanguageSwitch dark />
            <Tooltip title={t('app.logout')}>
              <Button data-testid="logout" type="text" icon={<LogoutOutlined />} className="header-btn" onClick={logout} aria-label={t('app.logout')} />
            </Tooltip>
          </div>
        </Layout.Header>
        {connection.kind === 'reconnecting' && <Alert data-testid="connection-banner" banner type="error" title={navigator.onLine ? t('shell.reconnecting', { attempt: connection.attempt }) : t('shell.offline')} />}
        {connection.kind === 'connecting' && <Alert data-testid="connection-banner" banner type="info" title={t('shell.connecting')} />}
        {connection.kind === 'connected' && showReconnected && <Alert data-testid="connection-banner" banner type="success" title={t('shell.reconnected')} />}
        <Layout.Content className="shell-content">
          {Page ? (
            <Suspense
              fallback={
                <div className="center-fill">
                  <Spin />
                </div>
              }
            >
              <Page />
            </Suspense>
          ) : (
            <Result status="info" title={t('shell.noDeskRole')} subTitle={t('shell.noDeskRoleHint', { roles: me.roles.map((r) => t(`roles.${r}`)).join('、') })} />
          )}
        </Layout.Content>
      </Layout>
    </ShellContext.Provider>
  );
}

function ConnectionTag({ connection }: { connection: ConnectionState }): React.JSX.Element {
  const { t } = useTranslation();
  const ok = connection.kind === 'connected';
  return (
    <Tag data-testid="connection" data-state={connection.kind} color={ok ? 'success' : connection.kind === 'connecting' ? 'processing' : 'error'} icon={<WifiOutlined />} variant="filled">
      {ok ? t('shell.online') : connection.kind === 'connecting' ? t('shell.connectingShort') : t('shell.disconnected')}
    </Tag>
  );
}
