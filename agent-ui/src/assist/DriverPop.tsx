import { Alert, Card, Col, Descriptions, List, Row, Space, Tag, Typography } from 'antd';
import { AlertOutlined, CarOutlined, EnvironmentOutlined, PhoneOutlined, ShopOutlined, UserOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import type { InCarPop } from '@shared/assist';
import { ChinaOverview, LocalMap } from './DriverMap';

const EVENT_COLOR: Record<InCarPop['eventType'], string> = { crash: 'red', theft: 'volcano', roadside: 'orange', concierge: 'blue' };

function when(iso: string, lang: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(lang === 'en' ? 'en-GB' : 'zh-CN', { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', timeZone: 'Asia/Shanghai' });
}

/** The driver screen-pop of an in-car call (#15): who, which car, where, what happened, what we know. */
export function DriverPop({ pop }: { pop: InCarPop }): React.JSX.Element {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const none = <Typography.Text type="secondary">{t('assist.none')}</Typography.Text>;
  return (
    <Card
      size="small"
      className="driver-pop"
      data-testid="driver-pop"
      title={
        <Space size={8} wrap>
          <CarOutlined />
          <span>{t('assist.title')}</span>
          <Tag color={EVENT_COLOR[pop.eventType]} data-testid="driver-event">
            {t(`assist.event.${pop.eventType}`)}
          </Tag>
          <Tag>{t(`assist.activation.${pop.activation}`)}</Tag>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t(`assist.way.${pop.way}`)}
          </Typography.Text>
          {pop.msd?.testCall && <Tag color="purple">{t('assist.test')}</Tag>}
        </Space>
      }
    >
      {pop.escalated && <Alert type="error" showIcon icon={<AlertOutlined />} message={t('assist.escalated')} style={{ marginBottom: 8 }} />}
      {pop.faults.length > 0 && (
        <Alert type="warning" showIcon data-testid="driver-faults" message={t('assist.faults')} description={<ul style={{ margin: 0, paddingLeft: 18 }}>{pop.faults.map((f) => <li key={f}>{f}</li>)}</ul>} style={{ marginBottom: 8 }} />
      )}
      <div className="driver-head" data-testid="driver-member">
        <UserOutlined />
        {pop.member ? (
          <>
            <b className="driver-name">{pop.member.name}</b>
            <Tag color="gold">{pop.member.level}</Tag>
            <span className="driver-points">
              {t('assist.points')} {pop.member.points.toLocaleString()}
            </span>
          </>
        ) : (
          none
        )}
        <span className="driver-car">
          <CarOutlined /> {pop.vehicle ? `${pop.vehicle.model} · ${pop.vehicle.color} · ${pop.vehicle.plate}` : none}
        </span>
      </div>
      <Row gutter={12}>
        <Col span={10}>
          <Descriptions size="small" column={1} colon={false} labelStyle={{ width: 96, color: '#8c8c8c', whiteSpace: 'nowrap' }}>
            <Descriptions.Item label={t('assist.vin')}>
              <span className="driver-vin">{pop.vin}</span>
            </Descriptions.Item>
            <Descriptions.Item label={t('assist.position')}>
              {pop.position ? `${pop.position.lat.toFixed(5)}, ${pop.position.lon.toFixed(5)}` : <Typography.Text type="warning">{t('assist.noPosition')}</Typography.Text>}
            </Descriptions.Item>
            <Descriptions.Item label={t('assist.heading')}>{pop.headingDeg !== null ? `${pop.headingDeg}°` : none}</Descriptions.Item>
            <Descriptions.Item label={t('assist.speed')}>{pop.speedKmh !== null ? t('assist.kmh', { v: pop.speedKmh }) : none}</Descriptions.Item>
            <Descriptions.Item label={t('assist.passengers')}>{pop.passengers ?? none}</Descriptions.Item>
            <Descriptions.Item label={<><PhoneOutlined /> {t('assist.emergencyContact')}</>}>
              {pop.member?.emergencyContact ? `${pop.member.emergencyContact.name} ${pop.member.emergencyContact.phone}` : none}
            </Descriptions.Item>
            <Descriptions.Item label={<><ShopOutlined /> {t('assist.dealer')}</>}>
              {pop.dealer ? `${pop.dealer.storeName}${pop.dealer.consultant ? ` · ${t('assist.consultant')} ${pop.dealer.consultant}` : ''}` : none}
            </Descriptions.Item>
          </Descriptions>
        </Col>
        <Col span={14}>
          <div className="assist-maps">{pop.position ? <LocalMap pop={pop} /> : <ChinaOverview car={null} />}</div>
        </Col>
      </Row>
      <Row gutter={12} style={{ marginTop: 8 }}>
        <Col span={8}>
          <List
            size="small"
            header={<b><EnvironmentOutlined /> {t('assist.nearest')}</b>}
            dataSource={pop.nearestStores}
            data-testid="driver-nearest"
            locale={{ emptyText: t('assist.none') }}
            renderItem={(s) => (
              <List.Item extra={<span className="assist-km">{t('assist.km', { v: s.distanceKm })}</span>}>
                <span>
                  {s.name} <Typography.Text type="secondary">{s.phone}</Typography.Text>
                </span>
              </List.Item>
            )}
          />
        </Col>
        <Col span={8}>
          <List size="small" header={<b>{t('assist.savedAddresses')}</b>} dataSource={pop.savedAddresses} locale={{ emptyText: t('assist.none') }} renderItem={(a) => <List.Item><Tag>{a.label}</Tag> {a.address}</List.Item>} />
          <List size="small" header={<b>{t('assist.savedNumbers')}</b>} dataSource={pop.savedNumbers} locale={{ emptyText: t('assist.none') }} renderItem={(n) => <List.Item>{n.label} · {n.number}</List.Item>} />
        </Col>
        <Col span={8}>
          <List size="small" header={<b>{t('assist.reminders')}</b>} dataSource={pop.reminders} locale={{ emptyText: t('assist.none') }} renderItem={(r) => <List.Item extra={when(r.due, lang)}>{r.text}</List.Item>} />
          <List size="small" header={<b>{t('assist.serviceHistory')}</b>} dataSource={pop.dealer?.serviceHistory ?? []} locale={{ emptyText: t('assist.none') }} renderItem={(s) => <List.Item extra={when(s.at, lang)}>{s.what}</List.Item>} />
          <List size="small" header={<b>{t('assist.recent')}</b>} dataSource={pop.recentEvents.slice(0, 4)} locale={{ emptyText: t('assist.none') }} renderItem={(e) => <List.Item extra={when(e.at, lang)}>{t(`assist.kinds.${e.kind}`, { defaultValue: e.kind })}</List.Item>} />
        </Col>
      </Row>
    </Card>
  );
}
