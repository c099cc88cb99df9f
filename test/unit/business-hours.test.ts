import { estimateWaitMinutes } from '../../src/acd/wait-estimate';
import { type StoreCalendar, isHoliday, isOpen, localTime, withinTimeOfDay } from '../../src/org/business-hours';

const shanghai: StoreCalendar = { timeZone: 'Asia/Shanghai', hours: { '1': ['09:00-12:00', '13:00-18:00'], '6': ['10:00-16:00'] }, holidays: ['2026-01-06'] };
const berlin: StoreCalendar = { timeZone: 'Europe/Berlin', hours: { '1': ['09:00-18:00'] }, holidays: [] };

// Monday 2026-01-05
const utc = (h: number, m = 0, day = 5) => Date.UTC(2026, 0, day, h, m);

test('opening hours are read in the store time zone, with a lunch break', () => {
  expect(isOpen(shanghai, utc(1, 0))).toBe(true); // 09:00 Shanghai
  expect(isOpen(shanghai, utc(0, 59))).toBe(false); // 08:59
  expect(isOpen(shanghai, utc(4, 30))).toBe(false); // 12:30 lunch
  expect(isOpen(shanghai, utc(9, 59))).toBe(true); // 17:59
  expect(isOpen(shanghai, utc(10, 0))).toBe(false); // 18:00 closes
  // The same instant is 02:00 in Berlin: closed there, open in Shanghai.
  expect(isOpen(berlin, utc(1, 0))).toBe(false);
  expect(isOpen(berlin, utc(8, 0))).toBe(true);
});

test('a holiday closes the store all day, by its local date', () => {
  expect(isHoliday(shanghai, utc(2, 0, 6))).toBe(true);
  expect(isOpen(shanghai, utc(2, 0, 6))).toBe(false);
  // 2026-01-05 17:00 UTC is already 01:00 on the 6th in Shanghai.
  expect(isHoliday(shanghai, utc(17, 0, 5))).toBe(true);
  expect(isHoliday(shanghai, utc(15, 0, 5))).toBe(false);
});

test('days without hours are closed; Saturday has its own hours', () => {
  expect(isOpen(shanghai, utc(3, 0, 10))).toBe(true); // Sat 11:00
  expect(isOpen(shanghai, utc(3, 0, 11))).toBe(false); // Sun
});

test('time-of-day windows run past midnight when they end before they start', () => {
  const mon2330 = localTime(utc(15, 30), 'Asia/Shanghai');
  expect(mon2330).toMatchObject({ date: '2026-01-05', weekday: 1, minutes: 23 * 60 + 30 });
  expect(withinTimeOfDay(mon2330, '22:00', '06:00')).toBe(true);
  const tue0500 = localTime(utc(21, 0), 'Asia/Shanghai');
  expect(withinTimeOfDay(tue0500, '22:00', '06:00', [1])).toBe(true); // Monday night's window
  expect(withinTimeOfDay(tue0500, '22:00', '06:00', [2])).toBe(false);
  expect(withinTimeOfDay(tue0500, '09:00', '18:00')).toBe(false);
});

test('estimated wait grows with the callers ahead and shrinks with the agents serving', () => {
  expect(estimateWaitMinutes(0, 180_000, 1)).toBe(2);
  expect(estimateWaitMinutes(3, 180_000, 1)).toBe(11);
  expect(estimateWaitMinutes(3, 180_000, 4)).toBe(2);
  expect(estimateWaitMinutes(0, 10_000, 5)).toBe(1);
});
