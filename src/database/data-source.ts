import { DataSource } from 'typeorm';
import { loadDatabaseConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';

/** For the TypeORM CLI (migration:generate, migration:revert). The app builds its own from AppConfig. */
export default new DataSource(dataSourceOptions(loadDatabaseConfig(process.env)));
