import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { I18nextProvider } from 'react-i18next';
import { App } from 'antd';
import type { CommandAck } from '@shared/errors';
import { i18n } from '../i18n';
import { Api } from '../shell/api';
import { DispositionForm } from './DispositionForm';
import { callFromPop, type CallView } from './model';

const base = callFromPop({ callId: '11111111-1111-4111-8111-111111111111', from: '+8613900001111', to: '4008001234', source: 'trunk', queueId: 'sales', queueName: '销售热线', waitedMs: 0, offerExpiresAt: 0, customer: null, dispositionCodes: ['appointment_set', 'callback_requested', 'info_given'], ivr: null, callback: false, customerPending: false });
const wrapUp: CallView = { ...base, phase: 'wrap_up', wrapUpUntil: 0 };

function show(call: CallView, onSave: (p: unknown) => Promise<CommandAck> = vi.fn(async () => ({ ok: true as const })), attention = 0) {
  render(
    <I18nextProvider i18n={i18n}>
      <App>
        <DispositionForm call={call} stores={[{ storeId: 'sh', name: '浦东 4S 店', timeZone: 'Asia/Shanghai' }]} api={new Api(() => undefined)} now={() => Date.parse('2026-01-05T01:00:00Z')} attention={attention} onSave={onSave} />
      </App>
    </I18nextProvider>,
  );
  return onSave;
}

afterEach(cleanup);

describe('the outcome form', () => {
  it('picks a code with its digit key and saves it with the notes', async () => {
    await i18n.changeLanguage('zh-CN');
    const onSave = vi.fn(async (): Promise<CommandAck> => ({ ok: true }));
    show(wrapUp, onSave);
    fireEvent.keyDown(window, { key: '3' });
    expect(screen.getByTestId('code-info_given').getAttribute('aria-checked')).toBe('true');
    fireEvent.change(screen.getByTestId('notes'), { target: { value: ' 客户下周再来电 ' } });
    fireEvent.click(screen.getByTestId('save-disposition'));
    await waitFor(() => expect(onSave).toHaveBeenCalledWith({ callId: wrapUp.callId, code: 'info_given', notes: '客户下周再来电' }));
  });

  it("says what is missing in the agent's language, and shows the server's refusal translated", async () => {
    await i18n.changeLanguage('zh-CN');
    const onSave = vi.fn(async (): Promise<CommandAck> => ({ ok: false, code: 'disposition_invalid', error: 'appointment.at must be in the future' }));
    show(wrapUp, onSave);
    fireEvent.click(screen.getByTestId('save-disposition'));
    expect((await screen.findByTestId('error-code')).textContent).toBe('请选择通话结果');
    expect(onSave).not.toHaveBeenCalled();
    // a visit for a caller the CRM does not know needs a customer record first
    fireEvent.click(screen.getByTestId('code-appointment_set'));
    fireEvent.click(screen.getByTestId('save-disposition'));
    expect((await screen.findByTestId('error-consultant')).textContent).toBe('请选择销售顾问');
    fireEvent.click(screen.getByTestId('code-callback_requested'));
    fireEvent.click(screen.getByTestId('appointment-toggle'));
    fireEvent.click(screen.getByTestId('save-disposition'));
    expect((await screen.findByTestId('disposition-refusal')).textContent).toBe('小结内容有误');
  });

  it('during the call it can be filled in but not saved; after a refused ready it says the queue requires it', async () => {
    await i18n.changeLanguage('zh-CN');
    show({ ...base, phase: 'talking' });
    expect(screen.getByTestId('save-disposition').hasAttribute('disabled')).toBe(true);
    cleanup();
    show(wrapUp, undefined, 1);
    expect(screen.getByTestId('disposition-required').textContent).toBe('本队列要求保存小结后才能就绪');
  });
});
