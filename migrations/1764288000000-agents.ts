import { MigrationInterface, QueryRunner } from 'typeorm';

export class Agents1764288000000 implements MigrationInterface {
  name = 'Agents1764288000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE agents (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name varchar(100) NOT NULL,
        description varchar(1000),
        capabilities text[] NOT NULL,
        status text NOT NULL DEFAULT 'inactive'
          CHECK (status IN ('active', 'inactive', 'busy', 'error')),
        endpoint_url varchar(2048) NOT NULL,
        protocol text NOT NULL DEFAULT 'http' CHECK (protocol IN ('http', 'a2a')),
        max_concurrency integer NOT NULL DEFAULT 1
          CHECK (max_concurrency BETWEEN 1 AND 1000),
        config jsonb NOT NULL DEFAULT '{}'::jsonb,
        signing_secret text NOT NULL,
        in_flight integer NOT NULL DEFAULT 0 CHECK (in_flight >= 0),
        last_heartbeat timestamptz(3),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    // Routing: the owner's active agents, then capability containment (capabilities @> ARRAY[type]).
    await q.query(`CREATE INDEX agents_owner_status_idx ON agents (owner_id, status)`);
    await q.query(`CREATE INDEX agents_capabilities_idx ON agents USING GIN (capabilities)`);
    // The list: newest first per owner, keyset-paginated on (created_at, id).
    await q.query(
      `CREATE INDEX agents_owner_created_idx ON agents (owner_id, created_at DESC, id DESC)`,
    );
    // The admin list (every owner) seeks on the same key.
    await q.query(`CREATE INDEX agents_created_idx ON agents (created_at DESC, id DESC)`);
    // The heartbeat sweeper only ever looks at agents that can still expire.
    await q.query(
      `CREATE INDEX agents_heartbeat_idx ON agents (last_heartbeat) WHERE status IN ('active', 'busy')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE agents`);
  }
}
