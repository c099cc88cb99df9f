import { lazy, Suspense, useState } from 'react';
import { Layout, Menu, Spin } from 'antd';
import { BarChartOutlined, NotificationOutlined, StopOutlined, TeamOutlined, UnorderedListOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { CampaignsView } from './CampaignsView';

const LeadsView = lazy(() => import('./LeadsView'));
const DncView = lazy(() => import('./DncView'));
const AdminView = lazy(() => import('./AdminView'));
const ReportsView = lazy(() => import('./ReportsView'));

type Section = 'campaigns' | 'leads' | 'dnc' | 'admin' | 'reports';

/** The managers' console: campaigns with their live view, lead lists and uploads, DNC, users/teams/queues, reports. */
export default function ConsolePage(): React.JSX.Element {
  const { t } = useTranslation();
  const [section, setSection] = useState<Section>(() => (new URLSearchParams(window.location.search).get('section') as Section | null) ?? 'campaigns');
  const go = (s: Section): void => {
    setSection(s);
    const q = new URLSearchParams(window.location.search);
    q.set('section', s);
    window.history.replaceState(null, '', `${window.location.pathname}?${q.toString()}`);
  };
  return (
    <Layout className="console">
      <Layout.Sider width={184} theme="light" className="console-sider">
        <Menu
          mode="inline"
          selectedKeys={[section]}
          onClick={(e) => go(e.key as Section)}
          items={[
            { key: 'campaigns', icon: <NotificationOutlined />, label: <span data-testid="nav-campaigns">{t('console.nav.campaigns')}</span> },
            { key: 'leads', icon: <UnorderedListOutlined />, label: <span data-testid="nav-leads">{t('console.nav.leads')}</span> },
            { key: 'dnc', icon: <StopOutlined />, label: <span data-testid="nav-dnc">{t('console.nav.dnc')}</span> },
            { key: 'admin', icon: <TeamOutlined />, label: <span data-testid="nav-admin">{t('console.nav.admin')}</span> },
            { key: 'reports', icon: <BarChartOutlined />, label: <span data-testid="nav-reports">{t('console.nav.reports')}</span> },
          ]}
        />
      </Layout.Sider>
      <Layout.Content className="console-content">
        <Suspense fallback={<Spin />}>
          {section === 'campaigns' && <CampaignsView />}
          {section === 'leads' && <LeadsView />}
          {section === 'dnc' && <DncView />}
          {section === 'admin' && <AdminView />}
          {section === 'reports' && <ReportsView />}
        </Suspense>
      </Layout.Content>
    </Layout>
  );
}
