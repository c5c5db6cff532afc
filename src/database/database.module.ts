import { Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';
import { DatabaseRoleCheck } from './database-role-check';
import { migrate } from './migrate';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        ...dataSourceOptions(config.database),
        entities: undefined,
        autoLoadEntities: true,
        // Fail the start fast when PostgreSQL is unreachable instead of retrying for minutes.
        retryAttempts: 2,
        retryDelay: 1000,
        // Ymera-specific: TypeORM's own migrationsRun takes no lock and would migrate as the
        // service's role; ours (below) takes one and connects as the owner.
        runMigrationsAtStart: config.database.migrationsRun ? config.database : undefined,
      }),
      // Migrations (MIGRATIONS_RUN=true) finish before any provider that needs the database exists.
      dataSourceFactory: async (options) => {
        const { runMigrationsAtStart, ...dataSourceOptions } = options as typeof options & {
          runMigrationsAtStart?: AppConfig['database'];
        };
        if (runMigrationsAtStart) {
          const applied = await migrate(runMigrationsAtStart);
          new Logger('Database').log(`Applied ${applied.length} migration(s)`);
        }
        return new DataSource(dataSourceOptions).initialize();
      },
    }),
  ],
  providers: [DatabaseRoleCheck],
})
export class DatabaseModule {}
