import { useCallback, useEffect, useState } from 'react';
import { App, Button, Card, Form, Input, Modal, Popconfirm, Select, Space, Table, Tabs, Tag } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { errorText } from '../i18n';
import { ApiFailure } from '../shell/api';
import { useShell } from '../shell/context';
import type { QueueView, TeamView, UserView } from './console-api';

type Kind = 'users' | 'teams' | 'queues';

/** Users, teams and queues: create, edit, deactivate (a deactivated user's sessions end at once). */
export default function AdminView(): React.JSX.Element {
  const { api, me } = useShell();
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [users, setUsers] = useState<UserView[]>([]);
  const [teams, setTeams] = useState<TeamView[]>([]);
  const [queues, setQueues] = useState<QueueView[]>([]);
  const [editing, setEditing] = useState<{ kind: Kind; id?: string } | undefined>();
  const [form] = Form.useForm<Record<string, unknown>>();
  const fail = useCallback((err: unknown) => void message.error(err instanceof ApiFailure ? errorText(t, err.code, err.message) : String(err)), [message, t]);
  const load = useCallback(() => {
    api.get<UserView[]>('/api/users').then(setUsers).catch(fail);
    api.get<TeamView[]>('/api/teams?all=1').then(setTeams).catch(fail);
    api.get<QueueView[]>('/api/queues?all=1').then(setQueues).catch(fail);
  }, [api, fail]);
  useEffect(() => load(), [load]);
  const stores = me.stores.map((s) => ({ value: s.storeId, label: s.name }));
  const roles = (me.roles.includes('admin') ? ['agent', 'sales_consultant', 'supervisor', 'manager', 'admin'] : ['agent', 'sales_consultant', 'supervisor', 'manager']).map((r) => ({ value: r, label: t(`roles.${r}`) }));

  const open = (kind: Kind, id?: string): void => {
    setEditing({ kind, id });
    form.resetFields();
    if (kind === 'users' && id) {
      const u = users.find((x) => x.username === id);
      form.setFieldsValue({ username: u?.username, displayName: u?.displayName, roles: u?.roles, storeIds: u?.storeIds, queueIds: u?.queueIds, extension: u?.extension ?? undefined });
    } else if (kind === 'teams' && id) {
      const x = teams.find((y) => y.teamId === id);
      form.setFieldsValue({ teamId: x?.teamId, name: x?.name, storeId: x?.storeId, members: x?.members });
    } else if (kind === 'queues' && id) {
      const q = queues.find((y) => y.queueId === id);
      form.setFieldsValue({ queueId: q?.queueId, name: q?.name, storeId: q?.storeId, numbers: q?.numbers.join(',') });
    } else form.setFieldsValue({ storeId: stores[0]?.value, storeIds: stores.slice(0, 1).map((s) => s.value), roles: ['agent'] });
  };

  const save = async (): Promise<void> => {
    if (!editing) return;
    const v = await form.validateFields();
    const clean = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined && x !== ''));
    try {
      if (editing.kind === 'users') {
        const { username, password, ...rest } = v;
        if (editing.id) await api.request('PATCH', `/api/users/${editing.id}`, clean({ ...rest, password }));
        else await api.post('/api/users', clean({ username, password, ...rest }));
      } else if (editing.kind === 'teams') {
        const { teamId, storeId, ...rest } = v;
        if (editing.id) await api.request('PATCH', `/api/teams/${editing.id}`, clean(rest));
        else await api.post('/api/teams', clean({ teamId, storeId, ...rest }));
      } else {
        const numbers = String(v.numbers ?? '').split(/[\s,，]+/).filter(Boolean);
        if (editing.id) await api.request('PATCH', `/api/queues/${editing.id}`, clean({ name: v.name }));
        else await api.post('/api/queues', clean({ queueId: v.queueId, name: v.name, storeId: v.storeId, numbers }));
      }
      message.success(t('console.saved'));
      setEditing(undefined);
      load();
    } catch (err) {
      fail(err);
    }
  };
  const deactivate = (path: string): void => {
    api.post(path, undefined).then(() => message.success(t('console.admin.deactivated'))).then(load).catch(fail);
  };
  const activeTag = (active: boolean | undefined): React.JSX.Element => (active === false ? <Tag>{t('console.admin.inactive')}</Tag> : <Tag color="green">{t('console.admin.active')}</Tag>);

  return (
    <Card title={t('console.admin.title')}>
      <Tabs
        items={[
          {
            key: 'users',
            label: t('console.admin.users'),
            children: (
              <>
                <Button type="primary" icon={<PlusOutlined />} onClick={() => open('users')} style={{ marginBottom: 12 }} data-testid="user-new">{t('console.admin.newUser')}</Button>
                <Table<UserView> rowKey="username" size="small" dataSource={users} pagination={{ pageSize: 10 }} columns={[
                  { title: t('console.admin.username'), dataIndex: 'username' },
                  { title: t('console.admin.displayName'), dataIndex: 'displayName' },
                  { title: t('console.admin.roles'), dataIndex: 'roles', render: (r: string[]) => r.map((x) => <Tag key={x}>{t(`roles.${x}`)}</Tag>) },
                  { title: t('console.store'), dataIndex: 'storeIds', render: (s: string[]) => s.join(', ') },
                  { title: t('console.admin.queues'), dataIndex: 'queueIds', render: (s: string[]) => s.join(', ') },
                  { title: t('console.admin.state'), dataIndex: 'active', render: activeTag },
                  { title: t('console.actions'), render: (_: unknown, u) => (
                    <Space size={4}>
                      <Button size="small" onClick={() => open('users', u.username)}>{t('console.edit')}</Button>
                      {u.active && u.username !== me.username && <Popconfirm title={t('console.admin.deactivateUser')} onConfirm={() => deactivate(`/api/users/${u.username}/deactivate`)}><Button size="small" danger>{t('console.admin.deactivate')}</Button></Popconfirm>}
                    </Space>
                  ) },
                ]} />
              </>
            ),
          },
          {
            key: 'teams',
            label: t('console.admin.teams'),
            children: (
              <>
                <Button type="primary" icon={<PlusOutlined />} onClick={() => open('teams')} style={{ marginBottom: 12 }}>{t('console.admin.newTeam')}</Button>
                <Table<TeamView> rowKey="teamId" size="small" dataSource={teams} pagination={{ pageSize: 10 }} columns={[
                  { title: 'ID', dataIndex: 'teamId' },
                  { title: t('console.leads.name'), dataIndex: 'name' },
                  { title: t('console.store'), dataIndex: 'storeId' },
                  { title: t('console.admin.members'), dataIndex: 'members', render: (m: string[]) => m.join(', ') },
                  { title: t('console.admin.state'), dataIndex: 'active', render: activeTag },
                  { title: t('console.actions'), render: (_: unknown, x) => (
                    <Space size={4}>
                      <Button size="small" onClick={() => open('teams', x.teamId)}>{t('console.edit')}</Button>
                      {x.active && <Button size="small" danger onClick={() => deactivate(`/api/teams/${x.teamId}/deactivate`)}>{t('console.admin.deactivate')}</Button>}
                    </Space>
                  ) },
                ]} />
              </>
            ),
          },
          {
            key: 'queues',
            label: t('console.admin.queues'),
            children: (
              <>
                <Button type="primary" icon={<PlusOutlined />} onClick={() => open('queues')} style={{ marginBottom: 12 }}>{t('console.admin.newQueue')}</Button>
                <Table<QueueView> rowKey="queueId" size="small" dataSource={queues} pagination={{ pageSize: 10 }} columns={[
                  { title: 'ID', dataIndex: 'queueId' },
                  { title: t('console.leads.name'), dataIndex: 'name' },
                  { title: t('console.store'), dataIndex: 'storeId' },
                  { title: t('console.admin.numbers'), dataIndex: 'numbers', render: (n: string[]) => <span className="mono">{n.join(', ')}</span> },
                  { title: t('console.admin.waiting'), dataIndex: 'waiting' },
                  { title: t('console.admin.state'), dataIndex: 'active', render: activeTag },
                  { title: t('console.actions'), render: (_: unknown, q) => (
                    <Space size={4}>
                      <Button size="small" onClick={() => open('queues', q.queueId)}>{t('console.edit')}</Button>
                      {q.active !== false ? <Button size="small" danger onClick={() => deactivate(`/api/queues/${q.queueId}/deactivate`)}>{t('console.admin.deactivate')}</Button> : <Button size="small" onClick={() => api.request('PATCH', `/api/queues/${q.queueId}`, { active: true }).then(load).catch(fail)}>{t('console.admin.activate')}</Button>}
                    </Space>
                  ) },
                ]} />
              </>
            ),
          },
        ]}
      />
      <Modal open={editing !== undefined} title={t(`console.admin.${editing?.kind ?? 'users'}`)} onCancel={() => setEditing(undefined)} onOk={() => void save()} okText={t('console.save')} destroyOnHidden>
        <Form form={form} layout="vertical" requiredMark={false}>
          {editing?.kind === 'users' && (
            <>
              <Form.Item name="username" label={t('console.admin.username')} rules={[{ required: true }]}><Input disabled={!!editing.id} /></Form.Item>
              <Form.Item name="displayName" label={t('console.admin.displayName')} rules={[{ required: true }]}><Input /></Form.Item>
              <Form.Item name="password" label={t('console.admin.password')} rules={editing.id ? [] : [{ required: true, min: 8 }]}><Input.Password autoComplete="new-password" /></Form.Item>
              <Form.Item name="roles" label={t('console.admin.roles')} rules={[{ required: true }]}><Select mode="multiple" options={roles} /></Form.Item>
              <Form.Item name="storeIds" label={t('console.store')}><Select mode="multiple" options={stores} /></Form.Item>
              <Form.Item name="queueIds" label={t('console.admin.queues')}><Select mode="multiple" options={queues.map((q) => ({ value: q.queueId, label: q.name }))} /></Form.Item>
              <Form.Item name="extension" label={t('console.admin.extension')}><Input /></Form.Item>
            </>
          )}
          {editing?.kind === 'teams' && (
            <>
              <Form.Item name="teamId" label="ID" rules={[{ required: true }]}><Input disabled={!!editing.id} /></Form.Item>
              <Form.Item name="name" label={t('console.leads.name')} rules={[{ required: true }]}><Input /></Form.Item>
              <Form.Item name="storeId" label={t('console.store')}><Select options={stores} disabled={!!editing.id} /></Form.Item>
              <Form.Item name="members" label={t('console.admin.members')}><Select mode="multiple" options={users.map((u) => ({ value: u.username, label: u.displayName }))} /></Form.Item>
            </>
          )}
          {editing?.kind === 'queues' && (
            <>
              <Form.Item name="queueId" label="ID" rules={[{ required: true }]}><Input disabled={!!editing.id} /></Form.Item>
              <Form.Item name="name" label={t('console.leads.name')} rules={[{ required: true }]}><Input /></Form.Item>
              <Form.Item name="storeId" label={t('console.store')}><Select options={stores} disabled={!!editing.id} /></Form.Item>
              <Form.Item name="numbers" label={t('console.admin.numbers')}><Input disabled={!!editing.id} /></Form.Item>
            </>
          )}
        </Form>
      </Modal>
    </Card>
  );
}
