import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { AppConfig } from '../config/app-config';

const RELISTEN_DELAY_MS = 1000;

export interface ListenerOptions {
  /** The channel LISTENed on; a PostgreSQL identifier. */
  channel: string;
  /** Added to DB_APPLICATION_NAME for the connection (pg_stat_activity). */
  connectionName: string;
  /** What the notifications are about, for the log ("account changes"). */
  subject: string;
  /** What the process does meanwhile, for the log line when the connection is lost. */
  whileLost: string;
  onNotification(payload: string | undefined): void;
  /**
   * Each time the connection listens, the first time and after every loss: notifications sent
   * while it was down were missed.
   */
  onListening(): void;
  /** The connection is lost (it is opened again after a second). */
  onLost?(): void;
}

/**
 * A PostgreSQL connection of its own that LISTENs on one channel (NOTIFY needs a session: a
 * pooled connection cannot hold it), reopened a second after it is lost, for as long as the
 * process runs. A long outage is logged once, and its end once.
 */
export class NotificationListener {
  private readonly logger = new Logger(NotificationListener.name);
  private client?: Client;
  private stopped = false;
  private lossReported = false;
  private relisten?: NodeJS.Timeout;
  private active = false;

  constructor(
    private readonly database: AppConfig['database'],
    private readonly options: ListenerOptions,
  ) {}

  /** Whether notifications are being heard right now. */
  get listening(): boolean {
    return this.active;
  }

  start(): void {
    void this.listen();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.relisten);
    this.active = false;
    await this.client?.end().catch(() => undefined);
  }

  private async listen(): Promise<void> {
    const { url, applicationName, connectionTimeoutMs } = this.database;
    const client = new Client({
      connectionString: url,
      application_name: `${applicationName}-${this.options.connectionName}`,
      connectionTimeoutMillis: connectionTimeoutMs,
    });
    let lost = false;
    const onLost = (error?: Error) => {
      if (lost) return;
      lost = true;
      this.active = false;
      if (this.client === client) this.client = undefined;
      void client.end().catch(() => undefined);
      if (this.stopped) return;
      this.options.onLost?.();
      if (!this.lossReported) {
        this.logger.warn(
          `Not listening for ${this.options.subject} (${error?.message ?? 'connection ended'}); ` +
            this.options.whileLost,
        );
      }
      this.lossReported = true;
      this.relisten = setTimeout(() => void this.listen(), RELISTEN_DELAY_MS);
      this.relisten.unref();
    };
    client.on('notification', (message) => this.options.onNotification(message.payload));
    client.on('error', onLost);
    client.on('end', () => onLost());
    try {
      await client.connect();
      await client.query(`LISTEN ${this.options.channel}`);
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
    this.client = client;
    this.active = true;
    if (this.lossReported) this.logger.log(`Listening for ${this.options.subject} again`);
    this.lossReported = false;
    this.options.onListening();
  }
}
