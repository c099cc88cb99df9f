import type Redis from 'ioredis';
import type { Logger } from '../log';

/**
 * Tells every app instance of a deployment that shared configuration (queues, stores, IVR flows)
 * changed, so an API change on one instance takes effect on all. Redis pub/sub on a dedicated
 * subscriber connection; a missed message is harmless because every instance also reloads on start.
 */
export class ConfigBus {
  private readonly instanceId = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly channel: string,
    private readonly log: Logger,
  ) {}

  /** `onChange` receives what the other instance said changed (see `changed(detail)`), if anything. */
  async start(onChange: (detail: string | undefined) => Promise<void>): Promise<void> {
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      const space = message.indexOf(' ');
      const from = space < 0 ? message : message.slice(0, space);
      if (from === this.instanceId) return;
      onChange(space < 0 ? undefined : message.slice(space + 1)).catch((err: unknown) => this.log.error({ err }, 'applying a change made elsewhere failed'));
    });
    await this.subscriber.subscribe(this.channel);
  }

  /** After this instance changed the configuration; `detail` says what (e.g. which user). */
  async changed(detail?: string): Promise<void> {
    await this.publisher.publish(this.channel, detail === undefined ? this.instanceId : `${this.instanceId} ${detail}`);
  }

  async stop(): Promise<void> {
    await this.subscriber.quit().catch(() => this.subscriber.disconnect());
  }
}
