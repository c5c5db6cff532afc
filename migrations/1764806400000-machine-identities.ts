import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Machine identities (README, "Machine identities"): API keys, and agent tokens on agents. Both
 * are stored only as the SHA-256 of the token (src/common/auth/machine-token.ts). Every api process
 * caches what a token's hash stands for (src/database/change-feed.ts); a change that must end a
 * token (a key deleted, an agent's token rotated, the agent deleted, anything that changes what the
 * token grants) is announced on `ymera_credential_changed` with the old hash, in hex, at commit.
 * A key's last use is written once a minute at most and announces nothing.
 *
 * The users trigger now also announces a change of username, which API key callers are known by.
 */
export class MachineIdentities1764806400000 implements MigrationInterface {
  name = 'MachineIdentities1764806400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name varchar(100) NOT NULL,
        prefix text NOT NULL,
        key_hash bytea NOT NULL UNIQUE CHECK (length(key_hash) = 32),
        scopes text[] NOT NULL
          CHECK (cardinality(scopes) > 0
                 AND scopes <@ ARRAY['agents:read', 'agents:write', 'tasks:read', 'tasks:write']),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        expires_at timestamptz(3),
        last_used_at timestamptz(3)
      )`);
    // The list: the owner's keys, newest first, keyset-paginated on (created_at, id).
    await q.query(
      `CREATE INDEX api_keys_owner_created_idx ON api_keys (owner_id, created_at DESC, id DESC)`,
    );
    // Agents registered before this have no token until their owner rotates their credentials.
    await q.query(`
      ALTER TABLE agents ADD COLUMN token_hash bytea UNIQUE CHECK (length(token_hash) = 32)`);

    await q.query(`
      CREATE FUNCTION credentials_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'TRUNCATE' THEN
          PERFORM pg_notify('ymera_credential_changed', '*');
        ELSIF TG_TABLE_NAME = 'api_keys' THEN
          PERFORM pg_notify('ymera_credential_changed', encode(OLD.key_hash, 'hex'));
        ELSIF OLD.token_hash IS NOT NULL THEN
          PERFORM pg_notify('ymera_credential_changed', encode(OLD.token_hash, 'hex'));
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER api_keys_notify_update AFTER UPDATE ON api_keys FOR EACH ROW
        WHEN (OLD.key_hash IS DISTINCT FROM NEW.key_hash OR OLD.owner_id IS DISTINCT FROM NEW.owner_id
              OR OLD.scopes IS DISTINCT FROM NEW.scopes
              OR OLD.expires_at IS DISTINCT FROM NEW.expires_at OR OLD.id IS DISTINCT FROM NEW.id)
        EXECUTE FUNCTION credentials_notify_change()`);
    await q.query(`
      CREATE TRIGGER agents_notify_token_update AFTER UPDATE ON agents FOR EACH ROW
        WHEN (OLD.token_hash IS DISTINCT FROM NEW.token_hash
              OR OLD.owner_id IS DISTINCT FROM NEW.owner_id OR OLD.id IS DISTINCT FROM NEW.id)
        EXECUTE FUNCTION credentials_notify_change()`);
    for (const table of ['api_keys', 'agents']) {
      await q.query(`
        CREATE TRIGGER ${table}_notify_delete AFTER DELETE ON ${table} FOR EACH ROW
          EXECUTE FUNCTION credentials_notify_change()`);
      await q.query(`
        CREATE TRIGGER ${table}_notify_truncate AFTER TRUNCATE ON ${table} FOR EACH STATEMENT
          EXECUTE FUNCTION credentials_notify_change()`);
    }

    await q.query(`DROP TRIGGER users_notify_update ON users`);
    await q.query(`
      CREATE TRIGGER users_notify_update AFTER UPDATE ON users FOR EACH ROW
        WHEN (OLD.is_active IS DISTINCT FROM NEW.is_active OR OLD.role IS DISTINCT FROM NEW.role
              OR OLD.username IS DISTINCT FROM NEW.username OR OLD.id IS DISTINCT FROM NEW.id)
        EXECUTE FUNCTION users_notify_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER users_notify_update ON users`);
    await q.query(`
      CREATE TRIGGER users_notify_update AFTER UPDATE ON users FOR EACH ROW
        WHEN (OLD.is_active IS DISTINCT FROM NEW.is_active OR OLD.role IS DISTINCT FROM NEW.role
              OR OLD.id IS DISTINCT FROM NEW.id)
        EXECUTE FUNCTION users_notify_change()`);
    for (const table of ['api_keys', 'agents']) {
      await q.query(`DROP TRIGGER ${table}_notify_truncate ON ${table}`);
      await q.query(`DROP TRIGGER ${table}_notify_delete ON ${table}`);
    }
    await q.query(`DROP TRIGGER agents_notify_token_update ON agents`);
    await q.query(`DROP TRIGGER api_keys_notify_update ON api_keys`);
    await q.query(`DROP FUNCTION credentials_notify_change()`);
    await q.query(`ALTER TABLE agents DROP COLUMN token_hash`);
    await q.query(`DROP TABLE api_keys`);
  }
}
