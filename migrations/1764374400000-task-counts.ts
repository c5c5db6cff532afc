import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * How many tasks each user owns, kept by triggers in the transaction that inserts or deletes the
 * tasks, so a list's `total` is exact without counting the owner's rows on every request (a
 * million-task owner's COUNT(*) walked a million index entries).
 *
 * An owner's count is spread over up to TASK_COUNT_SHARDS rows (a statement adds to one chosen at
 * random): concurrent task creations of one owner then rarely wait for each other's commit on the
 * same counter row. The total is the sum of the owner's rows; a row may go negative, the sum never.
 */
const TASK_COUNT_SHARDS = 16;

export class TaskCounts1764374400000 implements MigrationInterface {
  name = 'TaskCounts1764374400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE task_counts (
        owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        shard smallint NOT NULL CHECK (shard >= 0 AND shard < ${TASK_COUNT_SHARDS}),
        tasks bigint NOT NULL,
        PRIMARY KEY (owner_id, shard)
      )`);
    // Writers wait from here until this migration commits: the counts below and the triggers that
    // keep them start from the same rows.
    await q.query(`LOCK TABLE tasks IN SHARE ROW EXCLUSIVE MODE`);
    await q.query(`
      INSERT INTO task_counts (owner_id, shard, tasks)
      SELECT owner_id, 0, count(*) FROM tasks GROUP BY owner_id`);
    // Statement-level, with transition tables: one upsert per owner per statement, however many
    // rows it wrote. Owners in a fixed order, so two statements never wait for each other in a cycle.
    await q.query(`
      CREATE FUNCTION task_counts_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO task_counts (owner_id, shard, tasks)
        SELECT owner_id, floor(random() * ${TASK_COUNT_SHARDS})::smallint, count(*)
          FROM inserted_tasks GROUP BY owner_id ORDER BY owner_id
        ON CONFLICT (owner_id, shard) DO UPDATE SET tasks = task_counts.tasks + excluded.tasks;
        RETURN NULL;
      END $$`);
    // A user being deleted (its tasks go by ON DELETE CASCADE) has no counts left to keep.
    await q.query(`
      CREATE FUNCTION task_counts_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO task_counts (owner_id, shard, tasks)
        SELECT owner_id, floor(random() * ${TASK_COUNT_SHARDS})::smallint, -count(*)
          FROM deleted_tasks d
         WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = d.owner_id)
         GROUP BY owner_id ORDER BY owner_id
        ON CONFLICT (owner_id, shard) DO UPDATE SET tasks = task_counts.tasks + excluded.tasks;
        RETURN NULL;
      END $$`);
    // Tasks never change owner through the API; should one be moved by hand, its count moves along.
    await q.query(`
      CREATE FUNCTION task_counts_after_owner_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO task_counts (owner_id, shard, tasks)
        SELECT owner_id, floor(random() * ${TASK_COUNT_SHARDS})::smallint, delta
          FROM (VALUES (OLD.owner_id, -1), (NEW.owner_id, 1)) AS c (owner_id, delta)
         WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = c.owner_id)
         ORDER BY owner_id
        ON CONFLICT (owner_id, shard) DO UPDATE SET tasks = task_counts.tasks + excluded.tasks;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE FUNCTION task_counts_after_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM task_counts;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER task_counts_insert AFTER INSERT ON tasks
        REFERENCING NEW TABLE AS inserted_tasks
        FOR EACH STATEMENT EXECUTE FUNCTION task_counts_after_insert()`);
    await q.query(`
      CREATE TRIGGER task_counts_delete AFTER DELETE ON tasks
        REFERENCING OLD TABLE AS deleted_tasks
        FOR EACH STATEMENT EXECUTE FUNCTION task_counts_after_delete()`);
    await q.query(`
      CREATE TRIGGER task_counts_owner_change AFTER UPDATE OF owner_id ON tasks
        FOR EACH ROW WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id)
        EXECUTE FUNCTION task_counts_after_owner_change()`);
    await q.query(`
      CREATE TRIGGER task_counts_truncate AFTER TRUNCATE ON tasks
        FOR EACH STATEMENT EXECUTE FUNCTION task_counts_after_truncate()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER task_counts_truncate ON tasks`);
    await q.query(`DROP TRIGGER task_counts_owner_change ON tasks`);
    await q.query(`DROP TRIGGER task_counts_delete ON tasks`);
    await q.query(`DROP TRIGGER task_counts_insert ON tasks`);
    await q.query(`DROP FUNCTION task_counts_after_truncate()`);
    await q.query(`DROP FUNCTION task_counts_after_owner_change()`);
    await q.query(`DROP FUNCTION task_counts_after_delete()`);
    await q.query(`DROP FUNCTION task_counts_after_insert()`);
    await q.query(`DROP TABLE task_counts`);
  }
}
