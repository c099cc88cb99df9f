import { useState } from 'react';
import { App, Button, Form, Input, Select, Space, Typography } from 'antd';
import { UserAddOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import type { CustomerCard } from '@shared/agent-events';
import type { CreateCustomerBody, StoreRef } from '@shared/desk-api';
import { errorText } from '../i18n';
import { ApiFailure, type Api } from '../shell/api';

const GRADES = ['A', 'B', 'C', 'H', 'O', 'F'] as const;

/** The 新客户 card: an unknown caller, created in the CRM from the desk (POST /api/customers). */
export function NewCustomerForm({ api, phone, name, grade, stores, onCreated }: { api: Api; phone: string; name?: string | undefined; grade?: string | undefined; stores: readonly StoreRef[]; onCreated: (card: CustomerCard) => void }): React.JSX.Element {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<CreateCustomerBody>();

  const submit = async (v: CreateCustomerBody): Promise<void> => {
    setBusy(true);
    try {
      const card = await api.post<CustomerCard>('/api/customers', { ...v, modelsConsidered: v.modelsConsidered ?? [] });
      void message.success(t('newCustomer.created', { name: card.name }));
      onCreated(card);
    } catch (err) {
      void message.error(err instanceof ApiFailure ? errorText(t, err.code, err.message) : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="new-customer" data-testid="new-customer">
      <Space align="center" size={10} style={{ marginBottom: 8 }}>
        <span className="new-badge">
          <UserAddOutlined /> {t('pop.newCustomer')}
        </span>
        <Typography.Text type="secondary">{t('pop.newCustomerHint')}</Typography.Text>
      </Space>
      <Form<CreateCustomerBody>
        form={form}
        layout="vertical"
        size="middle"
        requiredMark
        initialValues={{ phone, name, grade: grade as CreateCustomerBody['grade'], gender: 'unknown', storeId: stores[0]?.storeId, modelsConsidered: [] }}
        onFinish={(v) => void submit(v)}
        className="new-customer-form"
      >
        <div className="form-grid-3">
          <Form.Item name="name" label={t('newCustomer.name')} rules={[{ required: true, whitespace: true, message: t('newCustomer.nameRequired') }]}>
            <Input data-testid="new-customer-name" maxLength={60} />
          </Form.Item>
          <Form.Item name="gender" label={t('newCustomer.gender')}>
            <Select options={(['male', 'female', 'unknown'] as const).map((g) => ({ value: g, label: t(`newCustomer.genders.${g}`) }))} />
          </Form.Item>
          <Form.Item name="phone" label={t('newCustomer.phone')} rules={[{ required: true, pattern: /^\+?[0-9][0-9 -]{4,19}$/, message: t('newCustomer.phoneInvalid') }]}>
            <Input className="mono" />
          </Form.Item>
          <Form.Item name="storeId" label={t('newCustomer.store')} rules={[{ required: true, message: t('newCustomer.storeRequired') }]}>
            <Select options={stores.map((s) => ({ value: s.storeId, label: s.name }))} />
          </Form.Item>
          <Form.Item name="grade" label={t('newCustomer.grade')}>
            <Select allowClear options={GRADES.map((g) => ({ value: g, label: t(`grades.${g}`) }))} />
          </Form.Item>
          <Form.Item name="city" label={t('newCustomer.city')}>
            <Input maxLength={40} />
          </Form.Item>
        </div>
        <Form.Item name="modelsConsidered" label={t('newCustomer.models')}>
          <Select mode="tags" placeholder={t('newCustomer.modelsPlaceholder')} tokenSeparators={[',', '，']} open={false} />
        </Form.Item>
        <Form.Item name="note" label={t('newCustomer.note')}>
          <Input.TextArea rows={2} maxLength={2000} />
        </Form.Item>
        <Button data-testid="new-customer-save" type="primary" htmlType="submit" loading={busy} icon={<UserAddOutlined />}>
          {t('newCustomer.submit')}
        </Button>
      </Form>
    </div>
  );
}
