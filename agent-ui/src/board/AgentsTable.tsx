import { useState } from 'react';
import { Button, Dropdown, Form, Input, Modal, Table, Tag } from 'antd';
import { DownOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import type { BoardAgent } from '@shared/board-events';
import type { ForceAction } from '@shared/board-events';
import { Elapsed } from './Elapsed';
import { percentText, STATE_COLOR } from './model';

/** The agents grid: state with its reason and time in state, current call, occupancy; force a state with a reason. */
export function AgentsTable({ agents, now, offset, onForce }: { agents: readonly BoardAgent[]; now: number; offset: number; onForce: (a: BoardAgent, action: ForceAction, reason: string) => Promise<boolean> }): React.JSX.Element {
  const { t, i18n } = useTranslation();
  const [forcing, setForcing] = useState<{ agent: BoardAgent; action: ForceAction } | undefined>();
  const [form] = Form.useForm<{ reason: string }>();
  const [busy, setBusy] = useState(false);
  const reasonText = (r: string): string => (r && i18n.exists(`reasons.${r}`) ? t(`reasons.${r}`) : r);
  const actionLabel = (a: ForceAction): string => t(a === 'ready' ? 'board.forceReady' : a === 'not_ready' ? 'board.forceNotReady' : 'board.forceLogout');
  return (
    <>
      <Table<BoardAgent>
        size="small"
        rowKey="agentId"
        data-testid="agents-table"
        dataSource={[...agents]}
        pagination={false}
        scroll={{ y: 'calc(100vh - 470px)' }}
        onRow={(a) => ({ 'data-testid': `agent-${a.agentId}`, 'data-state': a.state }) as React.HTMLAttributes<HTMLElement>}
        columns={[
          { title: t('board.agent'), dataIndex: 'name', width: 96, ellipsis: true },
          { title: t('board.team'), dataIndex: 'teamName', width: 120, ellipsis: true, render: (v: string | null) => v ?? <span className="muted">{t('board.noTeam')}</span> },
          {
            title: t('board.state'),
            width: 160,
            render: (_: unknown, a) => (
              <span data-testid="agent-state">
                <Tag color={STATE_COLOR[a.state]}>{t(`states.${a.state}`)}</Tag>
                {a.reason && a.state === 'not_ready' && <span className="muted small">{reasonText(a.reason)}</span>}
              </span>
            ),
          },
          { title: t('board.timeInState'), width: 72, render: (_: unknown, a) => (a.since > 0 && a.state !== 'logged_out' ? <Elapsed since={a.since} now={now} offset={offset} testId="agent-time" /> : '—') },
          { title: t('board.currentCall'), width: 80, render: (_: unknown, a) => (a.callSince !== null ? <Elapsed since={a.callSince} now={now} offset={offset} /> : <span className="muted">—</span>) },
          { title: t('board.occupancy'), width: 64, render: (_: unknown, a) => percentText(a.occupancy) },
          {
            title: t('board.actions'),
            width: 100,
            render: (_: unknown, a) => (
              <Dropdown
                trigger={['click']}
                menu={{
                  items: (['ready', 'not_ready', 'logout'] as const).map((action) => ({ key: action, label: <span data-testid={`force-${action}`}>{actionLabel(action)}</span> })),
                  onClick: ({ key }) => {
                    form.resetFields();
                    setForcing({ agent: a, action: key as ForceAction });
                  },
                }}
              >
                <Button size="small" data-testid="force-menu">
                  {t('board.force')} <DownOutlined />
                </Button>
              </Dropdown>
            ),
          },
        ]}
      />
      <Modal
        open={forcing !== undefined}
        title={forcing ? `${t('board.forceTitle', { name: forcing.agent.name })} · ${actionLabel(forcing.action)}` : ''}
        okText={t('common.ok')}
        cancelText={t('common.cancel')}
        okButtonProps={{ loading: busy, 'data-testid': 'force-ok' } as React.ComponentProps<typeof Button>}
        onCancel={() => setForcing(undefined)}
        onOk={() => {
          form
            .validateFields()
            .then(async ({ reason }) => {
              if (!forcing) return;
              setBusy(true);
              const done = await onForce(forcing.agent, forcing.action, reason);
              setBusy(false);
              if (done) setForcing(undefined);
            })
            .catch(() => undefined);
        }}
        destroyOnHidden
      >
        <Form form={form} layout="vertical">
          <Form.Item name="reason" label={t('board.forceReason')} rules={[{ required: true, whitespace: true, message: t('board.forceReasonRequired') }]}>
            <Input data-testid="force-reason" maxLength={200} autoFocus />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
