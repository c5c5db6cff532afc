/** POST /api/v1/tasks to a loopback no-op agent (`npm run bench:create`). */
import { benchMain } from './lib/harness';
import { createWorkload } from './lib/workloads';

void benchMain({ createCeiling: true }, createWorkload);
