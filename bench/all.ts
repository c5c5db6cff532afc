/**
 * Every benchmark in one run (`npm run bench`): health, the task list, deep pages, task creation,
 * each against its ceiling, task creation and the pipeline with and without 10,000 tasks waiting
 * for an agent, then the task pipeline (bench/tasks-pipeline.ts), also with 1,000 event streams
 * open; one table at the end.
 *
 *   npm run bench                          everything, about 4 minutes
 *   npm run bench -- health list           only these (health, list, deep, create, waiting,
 *                                          pipeline, streams)
 *   BENCH_DURATION_S=30 npm run bench      longer measurements
 *
 * Settings: bench/lib/settings.ts; what the figures mean: bench/README.md.
 */
import { benchMain } from './lib/harness';
import { pipelineWorkload } from './lib/pipeline';
import { streamsPipelineWorkload } from './lib/streams';
import { waitingCreateWorkload, waitingPipelineWorkload } from './lib/waiting';
import { createWorkload, deepPagesWorkload, healthWorkload, listWorkload } from './lib/workloads';

const ALL = ['health', 'list', 'deep', 'create', 'waiting', 'pipeline', 'streams'];
const chosen = process.argv.slice(2).length ? process.argv.slice(2) : ALL;
const unknown = chosen.filter((name) => !ALL.includes(name));
if (unknown.length) {
  console.error(`unknown workload(s): ${unknown.join(', ')}; choose from ${ALL.join(', ')}`);
  process.exit(2);
}
const has = (name: string) => chosen.includes(name);

void benchMain(
  {
    largeOwner: has('deep'),
    listCeiling: has('list') || has('deep'),
    createCeiling: has('create'),
  },
  async (run) => {
    if (has('health')) await healthWorkload(run);
    if (has('list')) await listWorkload(run);
    if (has('deep')) await deepPagesWorkload(run);
    if (has('create')) await createWorkload(run);
    if (has('waiting')) await waitingCreateWorkload(run);
    if (has('pipeline') || has('waiting') || has('streams')) {
      // The service and ceilings go first: the pipeline runs its own application.
      await run.children.stopAll();
      if (has('waiting')) await waitingPipelineWorkload(run);
      if (has('pipeline')) await pipelineWorkload(run);
      if (has('streams')) await streamsPipelineWorkload(run);
    }
  },
);
