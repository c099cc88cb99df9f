import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { App, Badge, Tabs } from 'antd';
import { BarChartOutlined, FormOutlined, PhoneOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import type { AgentCommandPayload, AgentServerEvents, CustomerCard, DialOutcomeView, PreviewLead } from '@shared/agent-events';
import type { CallbackItem, Colleague, DeskCampaign } from '@shared/desk-api';
import { useShell } from '../shell/context';
import { Softphone, type PhoneSession, type PhoneStatus } from '../phone/softphone';
import { DispositionForm } from './DispositionForm';
import { useCommand, useDeskState, useRestoreCall, useServerNow } from './hooks';
import { MyDay } from './MyDay';
import { OutboundPanel } from './OutboundPanel';
import { PhonePanel } from './PhonePanel';
import { PreviewControls } from './PreviewControls';
import { ScreenPop } from './ScreenPop';
import { DriverPop } from '../assist/DriverPop';
import { StateBar } from './StateBar';
import { TransferDialog, type TransferTarget } from './TransferDialog';
import type { DeskState } from './model';
import type { SipCredentials } from '../phone/softphone';

type TabKey = 'disposition' | 'outbound' | 'myDay';

/** The agent desk: state bar, softphone column, screen-pop, and the outcome / outbound / my-day tabs. */
export default function DeskPage(): React.JSX.Element {
  const shell = useShell<AgentServerEvents>();
  const { t, i18n } = useTranslation();
  const { message, notification } = App.useApp();
  const [desk, dispatch] = useDeskState(shell);
  useRestoreCall(shell, desk, dispatch);
  const command = useCommand(shell);
  // the page itself does not tick: the state bar and the phone column keep their own clocks
  const nowMinute = useServerNow(shell.serverOffset, 60_000);
  const offset = shell.serverOffset;
  const clock = useCallback(() => Date.now() + offset, [offset]);
  const [tab, setTab] = useState<TabKey>('disposition');
  const [attention, setAttention] = useState(0);
  const [transferOpen, setTransferOpen] = useState(false);
  const [campaigns, setCampaigns] = useState<DeskCampaign[]>([]);
  const [dialling, setDialling] = useState(false);
  const [refreshKey, setRefreshKey] = useState(0);
  const [names, setNames] = useState<Record<string, string>>({});
  const [people, setPeople] = useState<Record<string, string>>({});
  const [transferLabel, setTransferLabel] = useState<string | undefined>();
  const dateLocale = i18n.language === 'en' ? 'en-GB' : 'zh-CN';
  const [phoneSession, setPhoneSession] = useState<PhoneSession>('idle');
  const [phoneStatus, setPhoneStatus] = useState<PhoneStatus>(shell.me.softphone === 'sim' ? 'sim' : shell.me.softphone === 'none' ? 'none' : 'off');
  const audioRef = useRef<HTMLAudioElement>(null);
  const phoneRef = useRef<Softphone | undefined>(undefined);
  const call = desk.call;
  const callId = call?.callId;
  const state = desk.status?.state ?? 'logged_out';

  // the phone
  useEffect(() => {
    const phone = new Softphone(shell.me.softphone, { status: setPhoneStatus, session: setPhoneSession }, () => audioRef.current);
    phoneRef.current = phone;
    window.softphone = phone;
    phone.start(() => shell.api.get<SipCredentials>('/api/me/sip')).catch(() => setPhoneStatus('failed'));
    return () => {
      phone.stop();
      if (window.softphone === phone) window.softphone = undefined;
    };
  }, [shell.me.softphone, shell.api]);

  useEffect(() => {
    shell.api
      .get<Colleague[]>('/api/me/colleagues')
      .then((list) => setPeople({ ...Object.fromEntries(list.map((c) => [c.username, c.displayName])), [shell.me.username]: shell.me.displayName }))
      .catch(() => undefined);
  }, [shell.api, shell.me.username, shell.me.displayName]);

  useEffect(() => {
    shell.api
      .get<DeskCampaign[]>('/api/me/campaigns')
      .then(setCampaigns)
      .catch(() => setCampaigns([]));
  }, [shell.api]);

  // a new call brings the outcome tab forward; a finished one refreshes the lists and figures
  useEffect(() => {
    if (call && call.phase !== 'done') setTab('disposition');
  }, [call?.callId]); // eslint-disable-line react-hooks/exhaustive-deps -- only when the call changes
  useEffect(() => {
    if (call?.phase === 'done' || call?.savedCode) setRefreshKey((k) => k + 1);
  }, [call?.phase, call?.savedCode]);

  // a booked visit for me (I am the sales consultant): a notice at once
  const lastNotice = desk.notices[0];
  useEffect(() => {
    if (!lastNotice) return;
    const id = lastNotice.customerId;
    const show = (name: string): void =>
      notification.info({
        key: `appt:${lastNotice.callId}`,
        title: t('notices.appointmentTitle'),
        description: <span data-testid="appointment-notice">{t('notices.appointment', { customer: name, at: new Date(lastNotice.at).toLocaleString(dateLocale, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', timeZone: 'Asia/Shanghai' }), by: lastNotice.bookedBy })}</span>,
        duration: 0,
        placement: 'topRight',
      });
    if (!id) return show(t('notices.unknownCustomer'));
    shell.api
      .get<CustomerCard>(`/api/customers/${id}`)
      .then((c) => {
        setNames((n) => ({ ...n, [id]: c.name }));
        show(c.name);
      })
      .catch(() => show(t('notices.unknownCustomer')));
    return undefined;
  }, [lastNotice]); // eslint-disable-line react-hooks/exhaustive-deps -- once per notice

  const ready = useCallback(async () => {
    const ack = await command('agent:ready', undefined, true);
    if (!ack.ok) {
      if (ack.code === 'disposition_required') {
        setTab('disposition');
        setAttention((a) => a + 1);
      }
      void message.error({ content: t(`errors.${ack.code}`, { defaultValue: ack.error }), key: 'ready' });
    }
  }, [command, message, t]);

  const notReady = useCallback((reason: string) => void command('agent:not_ready', { reason }), [command]);

  const accept = useCallback(() => {
    if (!call || call.phase !== 'offered') return;
    dispatch({ type: 'call:accepted', callId: call.callId });
    void command('call:accept', { callId: call.callId });
  }, [call, command, dispatch]);

  const hangup = useCallback(() => call && void command('call:hangup', { callId: call.callId }), [call, command]);
  const hold = useCallback((on: boolean) => call && void command(on ? 'call:hold' : 'call:unhold', { callId: call.callId }), [call, command]);

  // keyboard: F2 ready · F4 answer · F6 hold · F8 hang up
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'F2') void ready();
      else if (e.key === 'F4') accept();
      else if (e.key === 'F6' && call?.phase === 'talking') hold(!call.onHold);
      else if (e.key === 'F8' && call?.phase === 'talking') hangup();
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [ready, accept, hold, hangup, call]);

  const dialResult = (outcome: DialOutcomeView | undefined): void => {
    if (outcome && outcome !== 'connected') void message.warning(t('outbound.dialled', { result: t(`phone.dialResult.${outcome}`) }));
  };

  const dial = async (campaignId: string, number: string): Promise<void> => {
    setDialling(true);
    const ack = await command<{ outcome: DialOutcomeView }>('call:dial', { campaignId, number });
    setDialling(false);
    if (ack.ok) dialResult(ack.data?.outcome);
  };

  const dialCallback = useCallback(
    (item: CallbackItem): void =>
      void (async () => {
        setDialling(true);
        const ack = await command<{ outcome: DialOutcomeView }>('callback:dial', { leadId: item.leadId });
        setDialling(false);
        if (ack.ok && ack.data?.outcome && ack.data.outcome !== 'connected') void message.warning(t('outbound.dialled', { result: t(`phone.dialResult.${ack.data.outcome}`) }));
        setRefreshKey((k) => k + 1);
      })(),
    [command, message, t],
  );

  const previewNext = useCallback(
    (campaignId: string): void =>
      void (async () => {
        const ack = await command<PreviewLead>('preview:next', { campaignId });
        if (ack.ok && ack.data) dispatch({ type: 'preview:lead', lead: ack.data });
      })(),
    [command, dispatch],
  );

  const customerCreated = useCallback((card: CustomerCard) => callId && dispatch({ type: 'local:customer', callId, customer: card }), [callId, dispatch]);

  const preview = desk.preview;
  const previewDial = useCallback(async () => {
    if (!preview) return;
    setDialling(true);
    const ack = await command<{ leadId: string; outcome: DialOutcomeView }>('preview:dial', { leadId: preview.leadId });
    setDialling(false);
    dispatch({ type: 'preview:done', leadId: preview.leadId });
    if (ack.ok) dialResult(ack.data?.outcome);
  }, [preview, command, dispatch]); // eslint-disable-line react-hooks/exhaustive-deps -- dialResult is stable enough (message, t)

  const previewSkip = async (reason: string): Promise<void> => {
    if (!preview) return;
    const ack = await command('preview:skip', { leadId: preview.leadId, reason });
    if (ack.ok) {
      dispatch({ type: 'preview:done', leadId: preview.leadId });
      void message.info(t('outbound.skipped'));
    }
  };

  const transfer = async (to: TransferTarget, mode: 'blind' | 'consult'): Promise<void> => {
    if (!call) return;
    setTransferOpen(false);
    setTransferLabel('agent' in to ? (people[to.agent] ?? to.agent) : to.number);
    await command('call:transfer', { callId: call.callId, to, mode });
  };

  const saveDisposition = useCallback((payload: AgentCommandPayload<'call:disposition'>) => command('call:disposition', payload, true), [command]);

  const previewCampaign = campaigns.find((c) => c.campaignId === preview?.campaignId);
  const previewControls = useMemo(
    () => (preview ? <PreviewControls leadId={preview.leadId} countdownSeconds={previewCampaign?.previewCountdownSeconds} dialling={dialling} onDial={() => void previewDial()} onSkip={(r) => void previewSkip(r)} /> : null),
    [preview, previewCampaign, dialling, previewDial], // eslint-disable-line react-hooks/exhaustive-deps -- previewSkip reads the same preview
  );
  const noticeText = useMemo(
    () => (n: DeskState['notices'][number]) =>
      t('notices.appointment', { customer: (n.customerId && names[n.customerId]) || t('notices.unknownCustomer'), at: new Date(n.at).toLocaleString(dateLocale, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', timeZone: 'Asia/Shanghai' }), by: n.bookedBy }),
    [names, t, dateLocale],
  );

  const offered = call?.phase === 'offered';
  const unsaved = call?.phase === 'wrap_up' && !call.savedCode;
  // the side tabs are rebuilt only when what they show changes (an offer must render fast)
  const tabs = useMemo(
    () => [
      {
        key: 'disposition',
        label: (
          <span data-testid="tab-disposition">
            <FormOutlined /> {t('tabs.disposition')} {unsaved ? <Badge status="warning" /> : null}
          </span>
        ),
        // the outcome form is mounted once the call is taken, not while it is only offered
        children: offered ? <div className="tab-empty muted">{t('disposition.editable')}</div> : <DispositionForm key={callId ?? 'none'} call={call} stores={shell.me.stores} api={shell.api} now={clock} attention={attention} onSave={saveDisposition} />,
      },
      {
        key: 'outbound',
        label: (
          <span data-testid="tab-outbound">
            <PhoneOutlined /> {t('tabs.outbound')}
          </span>
        ),
        children: <OutboundPanel api={shell.api} campaigns={campaigns} now={nowMinute} agentState={state} holdingLead={!!preview} busy={dialling} refreshKey={refreshKey} onNext={previewNext} onDialCallback={dialCallback} />,
      },
      {
        key: 'myDay',
        label: (
          <span data-testid="tab-my-day">
            <BarChartOutlined /> {t('tabs.myDay')}
          </span>
        ),
        children: <MyDay api={shell.api} refreshKey={refreshKey} />,
      },
    ],
    [t, unsaved, offered, callId, call, shell.me.stores, shell.api, clock, attention, saveDisposition, campaigns, nowMinute, state, preview, dialling, refreshKey, previewNext, dialCallback],
  );

  return (
    <div className="desk" data-testid="desk">
      <audio ref={audioRef} autoPlay />
      <StateBar
        status={desk.status}
        previewing={!!preview}
        call={call}
        serverOffset={offset}
        reasons={shell.me.notReadyReasons}
        phone={{ mode: shell.me.softphone, status: phoneStatus }}
        notices={desk.notices}
        noticeText={noticeText}
        onReady={() => void ready()}
        onNotReady={notReady}
        onExtend={(seconds) => call && void command('call:extend_wrap_up', { callId: call.callId, seconds })}
        onClearNotices={() => undefined}
      />
      <div className="desk-grid">
        <div className="desk-left">
          <PhonePanel
            call={call}
            serverOffset={offset}
            phone={{ mode: shell.me.softphone, status: phoneStatus, session: phoneSession }}
            campaigns={campaigns}
            agentState={state}
            dialling={dialling}
            transferLabel={transferLabel}
            onAccept={accept}
            onDecline={() => call && void command('call:decline', { callId: call.callId })}
            onHangup={hangup}
            onHold={hold}
            onMute={(on) => {
              phoneRef.current?.mute(on);
              dispatch({ type: 'local:muted', muted: on });
            }}
            onMask={async (on) => {
              if (!call) return;
              const ack = await command('call:pci_mask', { callId: call.callId, masked: on });
              if (ack.ok) dispatch({ type: 'local:masked', masked: on });
            }}
            onDtmf={(d) => {
              phoneRef.current?.sendDtmf(d);
            }}
            onTransfer={() => setTransferOpen(true)}
            onTransferComplete={() => call && void command('call:transfer_complete', { callId: call.callId })}
            onTransferCancel={() => call && void command('call:transfer_cancel', { callId: call.callId })}
            onTransferJoin={() => call && void command('call:transfer_join', { callId: call.callId })}
            onDial={(c, n) => void dial(c, n)}
          />
        </div>
        <div className="desk-main">
          {call?.inCar && <DriverPop pop={call.inCar} />}
          <ScreenPop
            call={call}
            preview={preview}
            stores={shell.me.stores}
            people={people}
            api={shell.api}
            agentState={state}
            onCustomerCreated={customerCreated}
            previewControls={previewControls}
          />
        </div>
        <div className="desk-right">
          <Tabs activeKey={tab} onChange={(k) => setTab(k as TabKey)} className="side-tabs" items={tabs} />
        </div>
      </div>
      <TransferDialog open={transferOpen} api={shell.api} onClose={() => setTransferOpen(false)} onTransfer={(to, mode) => void transfer(to, mode)} />
    </div>
  );
}
