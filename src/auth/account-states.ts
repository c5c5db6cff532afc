import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Role } from '../common/auth/role';
import { AppConfig } from '../config/app-config';
import { NotificationListener } from '../database/notification-listener';

/** What an access token is checked against on every request. */
export interface AccountState {
  active: boolean;
  role: Role;
}

/** Announced by the users table's triggers (migration UserChangeNotify1764633600000). */
export const USER_CHANGED_CHANNEL = 'ymera_user_changed';
const EVERY_USER = '*';
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
  private readonly cached = new Map<string, Promise<AccountState | null>>();
  private readonly listener: NotificationListener;
  private started = false;

  constructor(
    private readonly dataSource: DataSource,
    config: AppConfig,
  ) {
    this.listener = new NotificationListener(config.database, {
      channel: USER_CHANGED_CHANNEL,
      connectionName: 'accounts',
      subject: 'account changes',
      whileLost: 'reading the account on every request until it is back',
      onNotification: (payload) => this.forget(payload),
      // Whatever was read before this point was read while no change could be heard.
      onListening: () => this.cached.clear(),
      onLost: () => this.cached.clear(),
    });
  }

  /** The account now, or null when it no longer exists. */
  get(userId: string): Promise<AccountState | null> {
    if (!this.started) {
      this.started = true;
      this.listener.start();
    }
    if (!this.listener.listening) return this.read(userId);
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
    await this.listener.stop();
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
}
