/** GET /api/v1/tasks?limit=100 of a 10,000-task owner against bare pg (`npm run bench:list`). */
import { benchMain } from './lib/harness';
import { listWorkload } from './lib/workloads';

void benchMain({ listCeiling: true }, listWorkload);
