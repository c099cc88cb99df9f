import { describe, expect, it, afterEach } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { I18nextProvider } from 'react-i18next';
import type { CustomerCard } from '@shared/agent-events';
import { i18n } from '../i18n';
import { Api } from '../shell/api';
import { callFromPop } from './model';
import { ScreenPop } from './ScreenPop';

const customer: CustomerCard = {
  id: 'c1',
  name: '张伟',
  phones: ['+8613800138000'],
  grade: 'A',
  status: 'defeated',
  defeatReason: '价格 — 竞品报价低 1.2 万',
  owningStoreId: 'sh-pudong',
  owningUser: 'sc1',
  modelsConsidered: ['Model Y'],
  funnel: [
    { at: '2025-11-26T01:00:00Z', kind: 'visit', storeId: 'sh-pudong', model: 'Model Y', grade: 'C' },
    { at: '2025-12-03T01:00:00Z', kind: 'grade_change', grade: 'B', note: 'C→B' },
    { at: '2025-12-11T01:00:00Z', kind: 'grade_change', grade: 'A', note: 'B→A' },
    { at: '2025-12-15T01:00:00Z', kind: 'defeat', note: '战败' },
    { at: '2026-01-05T01:00:00Z', kind: 'call', note: 'info_given: 想再比较' },
  ],
  lastCalls: [{ callId: 'x', at: '2026-01-05T01:00:00Z', direction: 'inbound', outcome: 'answered', agent: 'desk1', disposition: 'info_given', notes: '想再比较' }],
};

function pop(c: CustomerCard | null, pending = false) {
  return callFromPop({ callId: 'call-1', from: '+8613800138000', to: '4008001234', source: 'trunk', queueId: 'sales', queueName: '销售热线', waitedMs: 65_000, offerExpiresAt: 0, customer: c, dispositionCodes: [], ivr: { flowId: 'main', path: [{ node: 'menu', type: 'menu', digits: '1' }, { node: 'sales', type: 'enqueue' }], vars: {} }, callback: true, customerPending: pending });
}

function show(call: ReturnType<typeof pop>) {
  return render(
    <I18nextProvider i18n={i18n}>
      <ScreenPop call={call} preview={undefined} stores={[{ storeId: 'sh-pudong', name: '浦东 4S 店', timeZone: 'Asia/Shanghai' }]} people={{ sc1: '陈晨', desk1: '王丽' }} api={new Api(() => undefined)} agentState="reserved" previewControls={null} onCustomerCreated={() => undefined} />
    </I18nextProvider>,
  );
}

afterEach(cleanup);

describe('the screen-pop', () => {
  it('shows the customer with the grade history, the defeat reason, the owner and store, IVR keys, wait and callback flag', async () => {
    await i18n.changeLanguage('zh-CN');
    show(pop(customer));
    expect(screen.getByTestId('grade-path').getAttribute('aria-label')).toBe('C→B→A');
    expect(screen.getByTestId('defeat-reason').textContent).toContain('价格 — 竞品报价低 1.2 万');
    expect(screen.getByTestId('owner').textContent).toBe('陈晨');
    expect(screen.getByTestId('owning-store').textContent).toBe('浦东 4S 店');
    expect(screen.getByTestId('customer-status').textContent).toBe('战败');
    expect(screen.getByTestId('ivr-path').textContent).toContain('按键 1');
    expect(screen.getByTestId('waited').textContent).toBe('等待 01:05');
    expect(screen.getByTestId('callback-flag').textContent).toBe('排队回拨');
    // a call note's code is in the agent's words; the past call names its agent
    expect(screen.getByTestId('funnel').textContent).toContain('已解答咨询：想再比较');
    expect(screen.getByTestId('last-calls').textContent).toContain('王丽');
    expect(screen.getByTestId('last-calls').textContent).toContain('录音回放将随“录音查询”功能上线');
  });

  it('keeps the customer area while the dealer CRM is still answering, and offers a new-customer form for an unknown caller', async () => {
    await i18n.changeLanguage('zh-CN');
    const { rerender } = show(pop(null, true));
    expect(screen.getByTestId('customer-pending').textContent).toContain('正在从经销商 CRM 获取客户资料');
    rerender(
      <I18nextProvider i18n={i18n}>
        <ScreenPop call={pop(null)} preview={undefined} stores={[{ storeId: 'sh-pudong', name: '浦东 4S 店', timeZone: 'Asia/Shanghai' }]} people={{}} api={new Api(() => undefined)} agentState="reserved" previewControls={null} onCustomerCreated={() => undefined} />
      </I18nextProvider>,
    );
    expect(screen.getByTestId('new-customer').textContent).toContain('新客户');
  });

  it('speaks English after the switch', async () => {
    await i18n.changeLanguage('en');
    show(pop(customer));
    expect(screen.getByTestId('customer-status').textContent).toBe('Defeated');
    expect(screen.getByTestId('waited').textContent).toBe('Waited 01:05');
    expect(screen.getByTestId('funnel').textContent).toContain('Question answered：想再比较');
    await i18n.changeLanguage('zh-CN');
  });
});
