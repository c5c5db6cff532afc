import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { Role } from '../common/auth/role';
import { AppConfig } from '../config/app-config';

/** What an access token is checked against on every request. */
export interface AccountState {
  active: boolean;
  role: Role;
}

/** Announced by the users table's triggers (migration UserChangeNotify1764633600000). */
export const USER_CHANGED_CHANNEL = 'ymera_user_changed';
const EVERY_USER = '*';
const RELISTEN_DELAY_MS = 1000;
/** A bound on memory: past it the cache starts over (each user then costs one read again). */
const MAX_CACHED_ACCOUNTS = 100_000;

/**
 * Whether a user's account is active, and its role, as the database says now, so that a token
 * of a disabled, demoted or deleted user stops working at once rather than when it expires.
 *
 * Each process reads a user once and keeps the answer while it LISTENs on the channel the users
 * table's triggers notify at commit: a change to `is_active` or `role`, a deletion or a TRUNCATE,
 * however it is made, drops the entry in every process within milliseconds. While the listening
 * connection is down (at start, after PostgreSQL was lost), nothing is cached and every request
 * reads the account, so a change is never missed. The connection is opened on first use, so a
 * process that authenticates nobody (a worker) holds none.
 */
@Injectable()
export class AccountStates implements OnApplicationShutdown {
  private readonly logger = new Logger(AccountStates.name);
  private readonly cached = new Map<string, Promise<AccountState | null>>();
  private listener?: Client;
  private listening = false;
  private started = false;
  private stopped = false;
  /** Whether the loss of the listening connection was logged, so a long outage logs once. */
  private lossReported = false;
  private relisten?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  /** The account now, or null when it no longer exists. */
  get(userId: string): Promise<AccountState | null> {
    if (!this.started) {
      this.started = true;
      void this.listen();
    }
    if (!this.listening) return this.read(userId);
    const known = this.cached.get(userId);
    if (known) return known;
    if (this.cached.size >= MAX_CACHED_ACCOUNTS) this.cached.clear();
    const state = this.read(userId);
    this.cached.set(userId, state);
    // A failed read is not remembered: the next request reads again.
    state.catch(() => {
      if (this.cached.get(userId) === state) this.cached.delete(userId);
    });
    return state;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.relisten);
    this.listening = false;
    await this.listener?.end().catch(() => undefined);
  }

  private async read(userId: string): Promise<AccountState | null> {
    const rows: { is_active: boolean; role: Role }[] = await this.dataSource.query(
      'SELECT is_active, role FROM users WHERE id = $1',
      [userId],
    );
    return rows.length ? { active: rows[0].is_active, role: rows[0].role } : null;
  }

  private forget(payload: string | undefined): void {
    if (payload === EVERY_USER) this.cached.clear();
    else if (payload) this.cached.delete(payload);
  }

  private async listen(): Promise<void> {
    const { url, applicationName, connectionTimeoutMs } = this.config.database;
    const client = new Client({
      connectionString: url,
      application_name: `${applicationName}-accounts`,
      connectionTimeoutMillis: connectionTimeoutMs,
    });
    let lost = false;
    const onLost = (error?: Error) => {
      if (lost) return;
      lost = true;
      this.listening = false;
      this.cached.clear();
      if (this.listener === client) this.listener = undefined;
      void client.end().catch(() => undefined);
      if (this.stopped) return;
      if (!this.lossReported) {
        this.logger.warn(
          `Not listening for account changes (${error?.message ?? 'connection ended'}); ` +
            'reading the account on every request until it is back',
        );
      }
      this.lossReported = true;
      this.relisten = setTimeout(() => void this.listen(), RELISTEN_DELAY_MS);
      this.relisten.unref();
    };
    client.on('notification', (message) => this.forget(message.payload));
    client.on('error', onLost);
    client.on('end', () => onLost());
    try {
      await client.connect();
      await client.query(`LISTEN ${USER_CHANGED_CHANNEL}`);
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
    this.cached.clear();
    this.listening = true;
    if (this.lossReported) this.logger.log('Listening for account changes again');
    this.lossReported = false;
  }
}
