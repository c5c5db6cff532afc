import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { settledWithin } from '../common/async/deadline';
import { AppConfig } from '../config/app-config';
import { EndpointRefusedError } from '../dispatch/dispatch.errors';
import { EndpointPolicy, pinnedLookup } from '../dispatch/endpoint-policy';
import { HttpTransport } from '../dispatch/http-transport';
import { TaskEventsService } from '../execution/task-events.service';
import { MetricsService } from '../metrics/metrics.service';
import {
  delivered,
  deliveryError,
  retryDelayMs,
  signedWebhookHeaders,
  webhookMessageId,
  webhookPayload,
  WEBHOOK_USER_AGENT,
} from './webhook-message';
import { ClaimedDelivery, DeliveryOutcome, WebhooksRepository } from './webhooks.repository';

/** Deliveries one worker process sends at once. */
const MAX_IN_FLIGHT = 50;
/** How long a stopping process waits for its aborted deliveries to be given back. */
const SHUTDOWN_WAIT_MS = 2000;
const STOPPING = 'the worker stopped before the receiver answered';

/**
 * Sends due webhook deliveries (README, "Webhooks"). A worker claims due pending rows with
 * FOR UPDATE SKIP LOCKED and a lease (WEBHOOK_LEASE_MS): a worker that dies mid-delivery leaves
 * the row to another once the lease has passed (sent again, with the same webhook-id). Each
 * attempt's outcome is recorded on its row, and a failure with attempts left adds the next
 * attempt's row, due after the backoff. No polling loop: the worker claims when the fan-out added
 * deliveries, when a delivery ended, and on a timer set for the next due (or released) delivery,
 * at most WEBHOOK_SWEEP_INTERVAL_MS away (the fan-out's sweep wakes it too).
 */
@Injectable()
export class WebhookSender implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookSender.name);
  private readonly inFlight = new Map<string, { abort: AbortController; done: Promise<void> }>();
  /** A claim under way, and whether to claim once more when it ends. */
  private claiming: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(
    private readonly config: AppConfig,
    private readonly repository: WebhooksRepository,
    private readonly events: TaskEventsService,
    private readonly endpoints: EndpointPolicy,
    private readonly http: HttpTransport,
    private readonly metrics: MetricsService,
  ) {}

  onApplicationBootstrap(): void {
    this.wake();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    // Aborted deliveries are given back, due at once, for another worker (start() aborts those
    // of a claim still under way).
    for (const { abort } of this.inFlight.values()) abort.abort();
    const drain = (async () => {
      await this.claiming;
      await Promise.allSettled([...this.inFlight.values()].map((entry) => entry.done));
    })();
    if (!(await settledWithin(drain, SHUTDOWN_WAIT_MS))) {
      // Left claimed: another worker sends them once their lease has passed.
      this.logger.warn(`Webhook deliveries were not given back within ${SHUTDOWN_WAIT_MS} ms`);
    }
  }

  /** Claims and sends whatever is due now, then sleeps until the next delivery is due. */
  wake(): void {
    if (this.stopping) return;
    if (this.claiming) {
      this.again = true;
      return;
    }
    this.again = false;
    this.claiming = this.claimDue().finally(() => {
      this.claiming = undefined;
      if (this.again) this.wake();
    });
  }

  private async claimDue(): Promise<void> {
    let nextInMs: number | null = this.config.webhooks.sweepIntervalMs;
    try {
      for (;;) {
        const room = MAX_IN_FLIGHT - this.inFlight.size;
        // Full: each delivery that ends wakes this again.
        if (room <= 0) return;
        const claimed = await this.repository.claim(room, this.config.webhooks.leaseMs);
        for (const delivery of claimed) this.start(delivery);
        if (claimed.length < room || this.stopping) break;
      }
      nextInMs = await this.repository.nextDueInMs();
    } catch (error) {
      this.logger.error({ err: error }, 'Could not claim webhook deliveries');
    } finally {
      this.sleep(nextInMs);
    }
  }

  /** Wakes up in `ms` (bounded by the sweep interval), or at the sweep when nothing is pending. */
  private sleep(ms: number | null): void {
    if (this.stopping) return;
    clearTimeout(this.timer);
    const interval = this.config.webhooks.sweepIntervalMs;
    this.timer = setTimeout(() => this.wake(), Math.min(ms ?? interval, interval));
    this.timer.unref();
  }

  private start(delivery: ClaimedDelivery): void {
    const abort = new AbortController();
    if (this.stopping) abort.abort();
    const done = this.deliver(delivery, abort.signal)
      .catch((error: unknown) =>
        // Left claimed: sent again once its lease has passed.
        this.logger.error({ err: error, deliveryId: delivery.id }, 'A webhook delivery failed'),
      )
      .finally(() => {
        this.inFlight.delete(delivery.id);
        this.wake();
      });
    this.inFlight.set(delivery.id, { abort, done });
  }

  private async deliver(delivery: ClaimedDelivery, signal: AbortSignal): Promise<void> {
    const outcome = await this.send(delivery, signal);
    if (outcome === null) {
      await this.repository.release(delivery);
      return;
    }
    if (await this.repository.settle(delivery, outcome)) {
      this.metrics.webhookDelivered(outcome.status);
    }
  }

  /** One attempt: what came of it, or null when this worker stopped before an answer. */
  private async send(
    delivery: ClaimedDelivery,
    signal: AbortSignal,
  ): Promise<DeliveryOutcome | null> {
    const [event] = await this.events.after(
      delivery.ownerId,
      delivery.eventId - 1,
      delivery.eventId,
      1,
    );
    if (event?.id !== delivery.eventId) {
      return { status: 'failed', httpStatus: null, error: 'the task event is gone (task deleted)' };
    }
    const failed = (httpStatus: number | null, error: string): DeliveryOutcome => ({
      status: 'failed',
      httpStatus,
      error,
      retryInMs:
        delivery.attempt < this.config.webhooks.maxAttempts
          ? retryDelayMs(this.config.webhooks.backoffBaseMs, delivery.attempt)
          : undefined,
    });
    let endpoint;
    try {
      endpoint = await this.endpoints.assertAllowed(delivery.url, 'url');
    } catch (error) {
      if (!(error instanceof EndpointRefusedError)) throw error;
      return failed(null, error.message);
    }
    const body = JSON.stringify(webhookPayload(event));
    const messageId = webhookMessageId(delivery.webhookId, delivery.eventId);
    const reply = await this.http.send({
      url: endpoint.url,
      lookup: pinnedLookup(endpoint),
      headers: {
        'user-agent': WEBHOOK_USER_AGENT,
        ...signedWebhookHeaders(delivery.secret, messageId, body),
      },
      body,
      timeoutMs: this.config.webhooks.timeoutMs,
      signal,
      abortReason: STOPPING,
    });
    if (reply.kind === 'aborted') return null;
    const httpStatus = reply.kind === 'response' ? reply.status : null;
    if (delivered(reply)) return { status: 'succeeded', httpStatus, error: null };
    return failed(httpStatus, deliveryError(reply));
  }
}
