import { DataSource } from 'typeorm';
import { loadDatabaseConfig } from '../config/app-config';
import { migrationDataSourceOptions } from './data-source-options';

/**
 * For the TypeORM CLI (migration:generate, migration:revert), which changes the schema: it connects
 * as the owner (MIGRATION_DATABASE_URL). The app builds its own from AppConfig.
 */
export default new DataSource(migrationDataSourceOptions(loadDatabaseConfig(process.env)));
