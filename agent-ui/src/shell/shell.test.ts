import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '@shared/errors';
import { en } from '../i18n/en';
import { zhCN } from '../i18n/zh-CN';
import { errorText, i18n, initialLanguage } from '../i18n';
import { codeForStatus } from './api';
import { refusalOf } from './live-socket';
import { routeFor } from './routes';

function keys(o: object, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) => (typeof v === 'string' ? [`${prefix}${k}`] : keys(v as object, `${prefix}${k}.`)));
}

describe('languages', () => {
  it('English has exactly the keys of Chinese, and no empty text', () => {
    expect(keys(en).sort()).toEqual(keys(zhCN).sort());
    for (const k of keys(en)) expect(i18n.getResource('en', 'translation', k)).not.toBe('');
  });

  it('every error code the server may send has its words in both languages', () => {
    for (const code of ERROR_CODES) {
      expect(zhCN.errors[code]).toBeTruthy();
      expect(en.errors[code]).toBeTruthy();
    }
  });

  it('translates a refusal by its code and falls back to the server text for a code it does not know', async () => {
    await i18n.changeLanguage('zh-CN');
    expect(errorText(i18n.t, 'disposition_required', 'save the outcome first')).toBe('请先保存本通电话的小结，再就绪');
    await i18n.changeLanguage('en');
    expect(errorText(i18n.t, 'disposition_required')).toBe("Save this call's outcome before going ready");
    expect(errorText(i18n.t, 'brand_new_code', 'something new')).toBe('something new');
  });

  it('starts in Chinese unless English was chosen or asked for', () => {
    expect(initialLanguage('', null)).toBe('zh-CN');
    expect(initialLanguage('?lang=en', null)).toBe('en');
    expect(initialLanguage('', 'en')).toBe('en');
    expect(initialLanguage('?lang=fr', null)).toBe('zh-CN');
  });
});

describe('the live connection and REST', () => {
  it('stops retrying only for refusals no retry can fix', () => {
    expect(refusalOf({ message: 'this account no longer exists', data: { code: 'session_expired' } })).toEqual({ code: 'session_expired', message: 'this account no longer exists' });
    expect(refusalOf({ message: 'disabled', data: { code: 'account_disabled' } })?.code).toBe('account_disabled');
    expect(refusalOf({ message: 'retrying', data: { code: 'unavailable' } })).toBeUndefined();
    expect(refusalOf(new Error('websocket error'))).toBeUndefined();
  });

  it('names a REST failure by its status when the body has no code', () => {
    expect(codeForStatus(401)).toBe('unauthorized');
    expect(codeForStatus(404)).toBe('not_found');
    expect(codeForStatus(409)).toBe('conflict');
    expect(codeForStatus(502)).toBe('internal');
  });
});

describe('routes per role', () => {
  it('agents and consultants get the desk; supervisors land on the board and may open their desk; managers and admins get the board, not the desk', () => {
    expect(routeFor('/', ['agent'])?.path).toBe('/desk');
    expect(routeFor('/desk', ['sales_consultant'])?.path).toBe('/desk');
    expect(routeFor('/board', ['agent'])?.path).toBe('/desk');
    expect(routeFor('/', ['supervisor'])?.path).toBe('/board');
    expect(routeFor('/desk', ['supervisor'])?.path).toBe('/desk');
    expect(routeFor('/desk', ['manager'])?.path).toBe('/board');
    expect(routeFor('/', ['admin'])?.path).toBe('/board');
    expect(routeFor('/', [])).toBeUndefined();
  });
});
