import { join } from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { migrations } from '../../migrations';
import { AppConfig } from '../config/app-config';

/** The one definition of how Ymera talks to PostgreSQL, shared by the app, the CLI and the tests. */
export function dataSourceOptions(database: AppConfig['database']): DataSourceOptions {
  return {
    type: 'postgres',
    url: database.url,
    synchronize: false,
    migrationsRun: false,
    migrations,
    migrationsTableName: 'migrations',
    entities: [join(__dirname, '..', '**', '*.entity.{ts,js}')],
    uuidExtension: 'pgcrypto',
    applicationName: database.applicationName,
    extra: {
      max: database.poolMax,
      connectionTimeoutMillis: database.connectionTimeoutMs,
      idleTimeoutMillis: database.idleTimeoutMs,
      maxLifetimeSeconds: database.maxLifetimeS,
      statement_timeout: database.statementTimeoutMs,
    },
  };
}

/**
 * The owner's connection (MIGRATION_DATABASE_URL) for migrations: the service's own role may not
 * create or alter tables. Two connections: one holds the migration lock, one runs the migrations.
 */
export function migrationDataSourceOptions(database: AppConfig['database']): DataSourceOptions {
  return dataSourceOptions({ ...database, url: database.migrationUrl, poolMax: 2 });
}
