import type { Models } from '../store/models';
import type { StoreCalendar, WeeklyHours } from './business-hours';

/** Stores and their calendars (MongoDB), cached for the IVR's opening-hours branches. */
export class StoreDirectory {
  private byId = new Map<string, StoreCalendar & { name: string; groupId: string }>();

  constructor(private readonly models: Models) {}

  async load(): Promise<void> {
    const docs = await this.models.Store.find().lean();
    this.byId = new Map(docs.map((d) => [d._id, { name: d.name, groupId: d.groupId, timeZone: d.timeZone ?? 'Asia/Shanghai', hours: (d.hours ?? {}) as WeeklyHours, holidays: d.holidays ?? [] }]));
  }

  ids(): Set<string> {
    return new Set(this.byId.keys());
  }

  name(storeId: string): string | undefined {
    return this.byId.get(storeId)?.name;
  }

  calendar(storeId: string): StoreCalendar | undefined {
    return this.byId.get(storeId);
  }
}
