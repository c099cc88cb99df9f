import i18next, { type TFunction } from 'i18next';
import { initReactI18next } from 'react-i18next';
import { ERROR_CODES, type ErrorCode } from '@shared/errors';
import { en } from './en';
import { zhCN } from './zh-CN';

export const LANGUAGES = ['zh-CN', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

const STORAGE_KEY = 'dcc.lang';

/** zh-CN unless the user chose English (kept in localStorage) or the URL says ?lang=en. */
export function initialLanguage(search = globalThis.location?.search ?? '', stored = safeStorage()?.getItem(STORAGE_KEY)): Language {
  const asked = new URLSearchParams(search).get('lang') ?? stored ?? 'zh-CN';
  return (LANGUAGES as readonly string[]).includes(asked) ? (asked as Language) : 'zh-CN';
}

function safeStorage(): Storage | undefined {
  try {
    return globalThis.localStorage;
  } catch {
    return undefined;
  }
}

export const i18n = i18next.createInstance();
void i18n.use(initReactI18next).init({
  lng: initialLanguage(),
  fallbackLng: 'zh-CN',
  resources: { 'zh-CN': { translation: zhCN }, en: { translation: en } },
  interpolation: { escapeValue: false },
  initAsync: false,
});

export function setLanguage(lang: Language): void {
  safeStorage()?.setItem(STORAGE_KEY, lang);
  document.documentElement.lang = lang;
  void i18n.changeLanguage(lang);
}

export function isErrorCode(code: string): code is ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(code);
}

/**
 * The user's words for a refusal: the translation of its code; the server's English message only
 * for a code this build does not know (a newer server).
 */
export function errorText(t: TFunction, code: string, fallback?: string): string {
  if (isErrorCode(code) || code === 'network' || code === 'timeout') return t(`errors.${code}`);
  return fallback ?? code;
}
