/** GET /health at 32 connections against the empty-handler ceiling (`npm run bench:health`). */
import { benchMain } from './lib/harness';
import { healthWorkload } from './lib/workloads';

void benchMain({}, healthWorkload);
