import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every api process caches, per user, whether the account is active and its role, so that an
 * access token is checked against the account without a database round trip per request
 * (src/auth/account-states.ts). A change to either, or the row's deletion, however it is made
 * (the admin CLI, SQL by an operator), is announced on the `ymera_user_changed` channel at commit;
 * each process drops that user's entry when the notification arrives. TRUNCATE announces `*`.
 */
export class UserChangeNotify1764633600000 implements MigrationInterface {
  name = 'UserChangeNotify1764633600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION users_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'TRUNCATE' THEN
          PERFORM pg_notify('ymera_user_changed', '*');
        ELSE
          PERFORM pg_notify('ymera_user_changed', OLD.id::text);
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER users_notify_update AFTER UPDATE ON users FOR EACH ROW
        WHEN (OLD.is_active IS DISTINCT FROM NEW.is_active OR OLD.role IS DISTINCT FROM NEW.role
              OR OLD.id IS DISTINCT FROM NEW.id)
        EXECUTE FUNCTION users_notify_change()`);
    await q.query(`
      CREATE TRIGGER users_notify_delete AFTER DELETE ON users FOR EACH ROW
        EXECUTE FUNCTION users_notify_change()`);
    await q.query(`
      CREATE TRIGGER users_notify_truncate AFTER TRUNCATE ON users FOR EACH STATEMENT
        EXECUTE FUNCTION users_notify_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER users_notify_truncate ON users`);
    await q.query(`DROP TRIGGER users_notify_delete ON users`);
    await q.query(`DROP TRIGGER users_notify_update ON users`);
    await q.query(`DROP FUNCTION users_notify_change()`);
  }
}
