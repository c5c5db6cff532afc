/**
 * A 1,000,000-task owner: first page, skip=500000, page 5,000 by cursor, each against its repository ceiling;
 * the 10,000-task owner's first page too, for the comparison (`npm run bench:deep`).
 */
import { benchMain } from './lib/harness';
import { deepPagesWorkload, listWorkload } from './lib/workloads';

void benchMain({ largeOwner: true, listCeiling: true }, async (run) => {
  await listWorkload(run);
  await deepPagesWorkload(run);
});
