import { Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';
import { runMigrations } from './migrate';

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
        // Ymera-specific: TypeORM's own migrationsRun takes no lock; ours (below) does.
        runMigrationsAtStart: config.database.migrationsRun,
      }),
      // Migrations (MIGRATIONS_RUN=true) finish before any provider that needs the database exists.
      dataSourceFactory: async (options) => {
        const { runMigrationsAtStart, ...dataSourceOptions } = options as typeof options & {
          runMigrationsAtStart: boolean;
        };
        const dataSource = await new DataSource(dataSourceOptions).initialize();
        if (runMigrationsAtStart) {
          const applied = await runMigrations(dataSource);
          new Logger('Database').log(`Applied ${applied.length} migration(s)`);
        }
        return dataSource;
      },
    }),
  ],
})
export class DatabaseModule {}
