import { DynamicModule, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { ChangeFeed } from './change-feed';
import { dataSourceOptions } from './data-source-options';
import { DatabaseRoleCheck } from './database-role-check';
import { migrate } from './migrate';

@Module({})
export class DatabaseModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: DatabaseModule,
      // Global for the ChangeFeed: one listening connection per process, whoever caches.
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            ...dataSourceOptions(config.database),
            entities: undefined,
            autoLoadEntities: true,
            // Fail the start fast when PostgreSQL is unreachable instead of retrying for minutes.
            retryAttempts: 2,
            retryDelay: 1000,
          }),
          // Migrations (MIGRATIONS_RUN=true) finish before any provider that needs the database
          // exists. TypeORM's own migrationsRun takes no lock and would migrate as the service's
          // role; migrate() takes one and connects as the owner (MIGRATION_DATABASE_URL).
          dataSourceFactory: async (options) => {
            if (config.database.migrationsRun) {
              const applied = await migrate(config.database);
              new Logger('Database').log(`Applied ${applied.length} migration(s)`);
            }
            return new DataSource(options!).initialize();
          },
        }),
      ],
      providers: [DatabaseRoleCheck, ChangeFeed],
      exports: [ChangeFeed],
    };
  }
}
