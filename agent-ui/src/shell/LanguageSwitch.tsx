import { Select } from 'antd';
import { GlobalOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { setLanguage, type Language } from '../i18n';

export function LanguageSwitch({ dark = false }: { dark?: boolean }): React.JSX.Element {
  const { i18n, t } = useTranslation();
  return (
    <Select<Language>
      data-testid="lang"
      aria-label={t('app.language')}
      size="small"
      variant={dark ? 'borderless' : 'outlined'}
      className={dark ? 'lang-dark' : undefined}
      value={i18n.language === 'en' ? 'en' : 'zh-CN'}
      onChange={(v) => setLanguage(v)}
      suffixIcon={<GlobalOutlined style={dark ? { color: 'rgba(255, 255, 255, 0.75)' } : undefined} />}
      style={{ width: 104 }}
      options={[
        { value: 'zh-CN', label: '简体中文' },
        { value: 'en', label: 'English' },
      ]}
    />
  );
}
