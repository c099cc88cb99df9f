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

  async start(onChange: () => Promise<void>): Promise<void> {
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel || message === this.instanceId) return;
      onChange().catch((err: unknown) => this.log.error({ err }, 'reloading configuration after a change elsewhere failed'));
    });
    await this.subscriber.subscribe(this.channel);
  }

  /** After this instance changed the configuration. */
  async changed(): Promise<void> {
    await this.publisher.publish(this.channel, this.instanceId);
  }

  async stop(): Promise<void> {
    await this.subscriber.quit().catch(() => this.subscriber.disconnect());
  }
}
