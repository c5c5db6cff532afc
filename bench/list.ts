/** GET /api/v1/tasks?limit=100 of a 10,000-task owner against its repository ceiling (`npm run bench:list`). */
import { benchMain } from './lib/harness';
import { listWorkload } from './lib/workloads';

void benchMain({ listCeiling: true }, listWorkload);
