import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Role } from '../common/auth/role';
import { ChangeFeed, NotifiedCache } from '../database/change-feed';

/** What every request is checked against: the account of its token, API key or agent's owner. */
export interface AccountState {
  active: boolean;
  role: Role;
  username: string;
}

/**
 * Announced by the users table's triggers (migrations UserChangeNotify1764633600000 and
 * MachineIdentities1764806400000): a change to `is_active`, `role` or `username`, a deletion
 * (with the user's id) or a TRUNCATE (`*`).
 */
export const USER_CHANGED_CHANNEL = 'ymera_user_changed';

/**
 * Whether a user's account is active, and its role, as the database says now, so that a token
 * of a disabled, demoted or deleted user stops working at once rather than when it expires. Each
 * process keeps what it read while it hears every change (NotifiedCache).
 */
@Injectable()
export class AccountStates {
  private readonly accounts: NotifiedCache<AccountState>;

  constructor(
    private readonly dataSource: DataSource,
    feed: ChangeFeed,
  ) {
    this.accounts = new NotifiedCache(feed, USER_CHANGED_CHANNEL, (id) => this.read(id));
  }

  /** The account now, or null when it no longer exists. */
  get(userId: string): Promise<AccountState | null> {
    return this.accounts.get(userId);
  }

  private async read(userId: string): Promise<AccountState | null> {
    const rows: { is_active: boolean; role: Role; username: string }[] =
      await this.dataSource.query('SELECT is_active, role, username FROM users WHERE id = $1', [
        userId,
      ]);
    return rows.length
      ? { active: rows[0].is_active, role: rows[0].role, username: rows[0].username }
      : null;
  }
}
