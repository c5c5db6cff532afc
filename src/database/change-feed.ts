import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Client } from 'pg';
import { AppConfig } from '../config/app-config';

/** A notification payload that stands for every key (the triggers send it on TRUNCATE). */
export const EVERY_KEY = '*';
const RELISTEN_DELAY_MS = 1000;

/** What a channel's notifications are delivered to. */
export interface ChangeSubscriber {
  /** A row changed: the payload its trigger sent (a key, or EVERY_KEY). */
  changed(payload: string): void;
  /** Changes may have gone unheard (the connection was lost, or is listening again): forget all. */
  reset(): void;
}

/**
 * One connection per process that LISTENs on the channels whose triggers announce changes at
 * commit (users, API keys, agent tokens), for the caches that must not outlive a change
 * (NotifiedCache), and on the agents that may take work (WaitingTasks, where workers run). While it is down (at start, after PostgreSQL was lost) it says so, and it
 * retries every second. It is opened on first use: by the first request
 * authenticated, or by a worker at its start.
 */
@Injectable()
export class ChangeFeed implements OnApplicationShutdown {
  private readonly logger = new Logger(ChangeFeed.name);
  private readonly subscribers = new Map<string, ChangeSubscriber[]>();
  private listener?: Client;
  private listening = false;
  private started = false;
  private stopped = false;
  /** Whether the loss of the connection was logged, so a long outage logs once. */
  private lossReported = false;
  private relisten?: NodeJS.Timeout;

  constructor(private readonly config: AppConfig) {}

  /** Called by providers as they are built: the connection listens on a fixed set of channels. */
  subscribe(channel: string, subscriber: ChangeSubscriber): void {
    if (this.started) throw new Error(`Subscribed to ${channel} after the change feed started`);
    this.subscribers.set(channel, [...(this.subscribers.get(channel) ?? []), subscriber]);
  }

  /** Whether every change is heard now (starting the connection on the first call). */
  isListening(): boolean {
    if (!this.started) {
      this.started = true;
      void this.listen();
    }
    return this.listening;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.relisten);
    this.listening = false;
    await this.listener?.end().catch(() => undefined);
  }

  private resetAll(): void {
    for (const subscribers of this.subscribers.values()) subscribers.forEach((s) => s.reset());
  }

  private async listen(): Promise<void> {
    const { url, applicationName, connectionTimeoutMs } = this.config.database;
    const client = new Client({
      connectionString: url,
      application_name: `${applicationName}-changes`,
      connectionTimeoutMillis: connectionTimeoutMs,
    });
    let lost = false;
    const onLost = (error?: Error) => {
      if (lost) return;
      lost = true;
      this.listening = false;
      this.resetAll();
      if (this.listener === client) this.listener = undefined;
      void client.end().catch(() => undefined);
      if (this.stopped) return;
      if (!this.lossReported) {
        this.logger.warn(
          `Not listening for changes (${error?.message ?? 'connection ended'}); ` +
            'reading accounts and credentials on every request, and waking waiting tasks only ' +
            'as slots free and the reconciler passes, until it is back',
        );
      }
      this.lossReported = true;
      this.relisten = setTimeout(() => void this.listen(), RELISTEN_DELAY_MS);
      this.relisten.unref();
    };
    client.on('notification', (message) => {
      if (message.payload === undefined) return;
      this.subscribers.get(message.channel)?.forEach((s) => s.changed(message.payload!));
    });
    client.on('error', onLost);
    client.on('end', () => onLost());
    try {
      await client.connect();
      for (const channel of this.subscribers.keys()) {
        await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
      }
    } catch (error) {
      onLost(error as Error);
      return;
    }
    if (lost) return;
    if (this.stopped) {
      lost = true;
      await client.end().catch(() => undefined);
      return;
    }
    this.listener = client;
    // Whatever was read before this point was read while no change could be heard.
    this.resetAll();
    this.listening = true;
    if (this.lossReported) this.logger.log('Listening for changes again');
    this.lossReported = false;
  }
}

/** A bound on memory: past it a cache starts over (each key then costs one read again). */
const MAX_CACHED_KEYS = 100_000;

/**
 * Values read from the database, kept per key while the ChangeFeed listens on the channel their
 * table's triggers notify (with the key) at commit, so a change made anywhere (another api
 * process, the admin CLI, SQL) drops the entry in every process within milliseconds. While the
 * feed is not listening nothing is kept and every get reads, so a change is never missed.
 */
export class NotifiedCache<V> implements ChangeSubscriber {
  private readonly cached = new Map<string, Promise<V | null>>();

  constructor(
    private readonly feed: ChangeFeed,
    channel: string,
    private readonly read: (key: string) => Promise<V | null>,
  ) {
    feed.subscribe(channel, this);
  }

  /** The value now, or null when there is none. */
  get(key: string): Promise<V | null> {
    if (!this.feed.isListening()) return this.read(key);
    const known = this.cached.get(key);
    if (known) return known;
    if (this.cached.size >= MAX_CACHED_KEYS) this.cached.clear();
    const value = this.read(key);
    this.cached.set(key, value);
    // A failed read is not remembered: the next request reads again.
    value.catch(() => {
      if (this.cached.get(key) === value) this.cached.delete(key);
    });
    return value;
  }

  changed(payload: string): void {
    if (payload === EVERY_KEY) this.cached.clear();
    else this.cached.delete(payload);
  }

  reset(): void {
    this.cached.clear();
  }
}
