import { INestApplication, Logger } from '@nestjs/common';
import type { Server } from 'node:http';
import { roleRuns } from './app.module';
import { AppConfig } from './config/app-config';
import { SHUTDOWN_GRACE_MS } from './execution/tasks.processor';

/** What stopping may take beyond the drain: the queue, the pools and the HTTP server closing. */
export const SHUTDOWN_MARGIN_MS = 10_000;

const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/**
 * The application as stopping sees it. Nest's close() hands its argument to the shutdown hooks as
 * the signal (HealthProbes waits only after SIGTERM), though INestApplication does not declare it.
 */
export interface StoppableApp extends Pick<INestApplication, 'getHttpServer'> {
  close(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * The longest a process takes to stop after `signal`: its drain time (after SIGTERM the readiness
 * delay, HEALTH_SHUTDOWN_DELAY_MS; in a process running workers their grace period,
 * SHUTDOWN_GRACE_MS) plus SHUTDOWN_MARGIN_MS.
 */
export function shutdownBoundMs(config: AppConfig, signal: NodeJS.Signals): number {
  const readinessDelay = signal === 'SIGTERM' ? config.health.shutdownDelayMs : 0;
  const workerGrace = roleRuns(config.role).workers ? SHUTDOWN_GRACE_MS : 0;
  return readinessDelay + workerGrace + SHUTDOWN_MARGIN_MS;
}

/**
 * How main.ts stops on SIGTERM or SIGINT (README, "Shutdown"). In place of Nest's
 * enableShutdownHooks, which re-raises the signal once the app has closed, so that the process
 * ends with status 143, an error to Docker and Kubernetes. Here the app is closed (readiness
 * delay, workers' drain, then connections) and the process exits 0.
 *
 * Whatever PostgreSQL or Redis do, the process ends within shutdownBoundMs: if the app has not
 * closed by then, it exits anyway, with 0 when the drain had finished and only connections to an
 * unresponsive dependency were still closing (nothing is lost: the system closes them), with 1
 * when the drain itself could not finish. Nest closes the HTTP server right after the last drain
 * hook returns, so a server that stopped listening tells the drain is over. A second signal while
 * stopping changes nothing.
 */
export function exitOnStopSignals(
  app: StoppableApp,
  config: AppConfig,
  readiness: Readiness,
): void {
  const logger = new Logger('Shutdown');
  const stop = stopper(app, config, readiness, (code) => process.exit(code));
  let tolerating = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (!tolerating) {
      tolerating = true;
      // Stopping cuts connections that do not close in time (bounded-close.ts): a command a
      // library left without a handler on one then rejects, and Node would end the process with
      // 1, turning a clean stop into a crash. From the signal on, such a rejection is logged.
      process.on('unhandledRejection', (error: unknown) =>
        logger.warn({ err: error }, 'Unhandled rejection while stopping'),
      );
    }
    stop(signal);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
}

/** What readiness needs to hear of a stop. */
export interface Readiness {
  /** From now on readiness answers 503 "shutting_down". */
  shutDown(): void;
}

/**
 * What exitOnStopSignals runs on a signal; `exit` ends the process. Readiness turns 503 at the
 * signal itself, before any shutdown hook runs: Nest runs the hooks module after module, and a
 * worker's drain (up to SHUTDOWN_GRACE_MS) may come before the health module's.
 */
export function stopper(
  app: StoppableApp,
  config: AppConfig,
  readiness: Readiness,
  exit: (code: number) => void,
): (signal: NodeJS.Signals) => void {
  const logger = new Logger('Shutdown');
  let stopping = false;
  return (signal) => {
    if (stopping) return;
    stopping = true;
    readiness.shutDown();
    const boundMs = shutdownBoundMs(config, signal);
    const watchdog = setTimeout(() => {
      const drained = !(app.getHttpServer() as Server).listening;
      logger.error(
        drained
          ? `Connections still closing ${boundMs} ms after ${signal}: exiting`
          : `The drain did not finish within ${boundMs} ms of ${signal}: exiting`,
      );
      exit(drained ? 0 : 1);
    }, boundMs);
    app
      .close(signal)
      .then(
        () => exit(0),
        (error: unknown) => {
          logger.error({ err: error }, `Shutdown after ${signal} failed`);
          exit(1);
        },
      )
      .finally(() => clearTimeout(watchdog));
  };
}
