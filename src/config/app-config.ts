import { EnvReader } from './env-reader';

export type NodeEnv = 'development' | 'test' | 'production';
export type AppRole = 'all' | 'api' | 'worker';

/** Values no deployment may use as JWT_SECRET: documentation placeholders and well-known defaults. */
const PLACEHOLDER_MARKERS = [
  'changeme',
  'change-me',
  'change_me',
  'placeholder',
  'replace',
  'example',
  'your-secret',
  'your_secret',
  'yoursecret',
  'default',
];
const MIN_SECRET_LENGTH = 32;
const MIN_DISTINCT_SECRET_CHARS = 10;

/** How long a task may wait for an agent (TASK_SCHEDULE_TIMEOUT_MS, a task's scheduleTimeoutMs). */
export const DEFAULT_SCHEDULE_TIMEOUT_MS = 600_000;
export const MIN_SCHEDULE_TIMEOUT_MS = 1000;
export const MAX_SCHEDULE_TIMEOUT_MS = 7 * 24 * 3_600_000;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The whole configuration of a process, read from the environment once at start.
 * Only this folder reads process.env; everything else injects AppConfig.
 */
export class AppConfig {
  readonly env: NodeEnv;
  readonly role: AppRole;
  readonly logLevel: LogLevel;
  readonly http: {
    readonly host: string;
    readonly port: number;
    readonly corsOrigins: readonly string[];
    /** Express "trust proxy" setting: false, true, or the number of proxy hops to believe. */
    readonly trustProxy: boolean | number;
  };
  readonly database: {
    /** The service's connection: a role that may read and append to audit_logs, never rewrite it. */
    readonly url: string;
    /** The owner's connection, for migrations (MIGRATION_DATABASE_URL, default DATABASE_URL). */
    readonly migrationUrl: string;
    /**
     * The DATABASE_URL user that migrations grant the service's privileges to (grants.ts), when
     * the two URLs name different users; undefined when they name the same one.
     */
    readonly serviceUser: string | undefined;
    readonly poolMax: number;
    readonly connectionTimeoutMs: number;
    readonly idleTimeoutMs: number;
    readonly maxLifetimeS: number;
    readonly statementTimeoutMs: number;
    readonly applicationName: string;
    readonly migrationsRun: boolean;
  };
  readonly redis: {
    readonly url: string;
    /** Prefix of every key Ymera writes, so several installs (or test runs) can share one Redis. */
    readonly keyPrefix: string;
  };
  readonly jwt: {
    readonly secret: string;
    readonly accessTtlS: number;
    readonly refreshTtlS: number;
  };
  readonly throttle: {
    readonly authLimit: number;
    readonly authTtlS: number;
    readonly defaultLimit: number;
    readonly defaultTtlS: number;
  };
  readonly tasks: {
    readonly backoffBaseMs: number;
    readonly dispatchTimeoutMs: number;
    /** How long a task may wait for an agent when it gives no scheduleTimeoutMs. */
    readonly scheduleTimeoutMs: number;
    /** How often workers look for tasks whose queue job is missing or whose worker died. */
    readonly reconcileIntervalMs: number;
    /** Jobs one worker process dispatches at once. */
    readonly workerConcurrency: number;
    /** Bull job lock: a job whose worker stopped renewing it for this long is run again. */
    readonly lockDurationMs: number;
  };
  readonly agents: {
    readonly heartbeatTtlS: number;
    readonly endpointAllowlist: readonly string[];
    /** How often each worker sets agents whose heartbeat expired to inactive. */
    readonly sweepIntervalMs: number;
  };
  readonly webhooks: {
    /** Attempts of one webhook message, the first included (README, "Webhooks"). */
    readonly maxAttempts: number;
    /** Attempt n + 1 is due base * 2^(n-1) after attempt n failed. */
    readonly backoffBaseMs: number;
    /** How long one delivery waits for the receiver's answer. */
    readonly timeoutMs: number;
    /**
     * How long a claimed delivery is a worker's own: past it (the worker died mid-delivery),
     * another worker sends it. Longer than timeoutMs.
     */
    readonly leaseMs: number;
    /**
     * How often workers fan out task events no notification announced and look for due
     * deliveries (the safety net; deliveries are otherwise sent when due).
     */
    readonly sweepIntervalMs: number;
  };
  readonly bullBoard: {
    readonly user?: string;
    readonly password?: string;
  };
  readonly health: {
    /** How long one readiness answer serves every probe (0: only probes arriving while it runs). */
    readonly readinessCacheMs: number;
    /**
     * After SIGTERM, how long the process goes on serving, readiness answering 503, before it
     * stops: the time a load balancer needs to take it out of rotation.
     */
    readonly shutdownDelayMs: number;
  };
  readonly metrics: {
    /** Distinct task types a process labels tasks_total with; later ones are counted as "other". */
    readonly maxTaskTypes: number;
  };
  readonly taskEvents: {
    /** Longest silence on an event stream before a comment line keeps proxies from closing it. */
    readonly keepAliveMs: number;
    /**
     * Output an event stream may have waiting for a client that does not read; past it the
     * stream is cut off (the client resumes with Last-Event-ID).
     */
    readonly maxBufferBytes: number;
    /**
     * How often a process with event streams or webhooks reads on without being told of new
     * events (announcements lost with a process that died before sending them).
     */
    readonly pollMs: number;
  };

  constructor(values: AppConfig) {
    Object.assign(this, values);
  }
}

const DEV_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/ymera';
const DEV_REDIS_URL = 'redis://127.0.0.1:6379/0';
const POSTGRES_PROTOCOLS = ['postgres:', 'postgresql:'];

/**
 * Reads and validates the environment. Throws a ConfigError naming every bad or missing variable,
 * so an operator fixes them all in one go.
 */
export function loadConfig(env: NodeJS.ProcessEnv): AppConfig {
  const r = new EnvReader(env);
  const nodeEnv = readNodeEnv(r);
  const production = nodeEnv === 'production';

  const config = new AppConfig({
    env: nodeEnv,
    role: r.oneOf('APP_ROLE', ['all', 'api', 'worker'] as const, 'all'),
    logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    http: {
      host: r.string('HOST', '127.0.0.1'),
      port: r.int('PORT', 3000, 0, 65535),
      corsOrigins: r.list('CORS_ORIGINS'),
      trustProxy: r.trustProxy('TRUST_PROXY'),
    },
    database: readDatabase(r, production),
    redis: {
      url: r.url('REDIS_URL', ['redis:', 'rediss:'], production ? undefined : DEV_REDIS_URL),
      keyPrefix: r.string('REDIS_KEY_PREFIX', 'ymera'),
    },
    jwt: {
      secret: jwtSecret(r),
      accessTtlS: 15 * 60,
      refreshTtlS: r.int('JWT_REFRESH_TTL_S', 30 * 24 * 3600, 60, 365 * 24 * 3600),
    },
    throttle: {
      authLimit: r.int('THROTTLE_AUTH_LIMIT', 5, 1, 1_000_000),
      authTtlS: r.int('THROTTLE_AUTH_TTL_S', 60, 1, 86_400),
      defaultLimit: r.int('THROTTLE_DEFAULT_LIMIT', 6000, 1, 10_000_000),
      defaultTtlS: r.int('THROTTLE_DEFAULT_TTL_S', 60, 1, 86_400),
    },
    tasks: {
      backoffBaseMs: r.int('TASK_BACKOFF_BASE_MS', 1000, 1, 3_600_000),
      dispatchTimeoutMs: r.int('TASK_DISPATCH_TIMEOUT_MS', 30_000, 100, 3_600_000),
      scheduleTimeoutMs: r.int(
        'TASK_SCHEDULE_TIMEOUT_MS',
        DEFAULT_SCHEDULE_TIMEOUT_MS,
        MIN_SCHEDULE_TIMEOUT_MS,
        MAX_SCHEDULE_TIMEOUT_MS,
      ),
      reconcileIntervalMs: r.int('TASK_RECONCILE_INTERVAL_MS', 5000, 100, 3_600_000),
      workerConcurrency: r.int('TASK_WORKER_CONCURRENCY', 50, 1, 1000),
      lockDurationMs: r.int('TASK_LOCK_DURATION_MS', 30_000, 1000, 600_000),
    },
    agents: {
      heartbeatTtlS: r.int('AGENT_HEARTBEAT_TTL_S', 60, 1, 86_400),
      endpointAllowlist: r.list('AGENT_ENDPOINT_ALLOWLIST'),
      sweepIntervalMs: r.int('AGENT_SWEEP_INTERVAL_MS', 5000, 50, 3_600_000),
    },
    webhooks: webhooks(r),
    bullBoard: bullBoard(r),
    health: {
      readinessCacheMs: r.int('HEALTH_READINESS_CACHE_MS', 1000, 0, 60_000),
      shutdownDelayMs: r.int('HEALTH_SHUTDOWN_DELAY_MS', 0, 0, 120_000),
    },
    metrics: {
      maxTaskTypes: r.int('METRICS_MAX_TASK_TYPES', 50, 1, 1000),
    },
    taskEvents: {
      // At most 15 s: the API promises a line at least that often.
      keepAliveMs: r.int('TASK_EVENTS_KEEPALIVE_MS', 15_000, 10, 15_000),
      maxBufferBytes: r.int('TASK_EVENTS_MAX_BUFFER_BYTES', 1024 * 1024, 1024, 1024 * 1024 * 1024),
      pollMs: r.int('TASK_EVENTS_POLL_MS', 1000, 10, 60_000),
    },
  });
  r.throwIfInvalid();
  return config;
}

/** The database settings alone: what the migration CLI needs, without the app's secrets. */
export function loadDatabaseConfig(env: NodeJS.ProcessEnv): AppConfig['database'] {
  const r = new EnvReader(env);
  const database = readDatabase(r, readNodeEnv(r) === 'production');
  r.throwIfInvalid();
  return database;
}

function readNodeEnv(r: EnvReader): NodeEnv {
  return r.oneOf('NODE_ENV', ['development', 'test', 'production'] as const, 'development');
}

function readDatabase(r: EnvReader, production: boolean): AppConfig['database'] {
  const url = r.url('DATABASE_URL', POSTGRES_PROTOCOLS, production ? undefined : DEV_DATABASE_URL);
  // Unset, it is DATABASE_URL itself, whose problems are reported once under its own name.
  const migrationUrl = r.optional('MIGRATION_DATABASE_URL')
    ? r.url('MIGRATION_DATABASE_URL', POSTGRES_PROTOCOLS)
    : url;
  return {
    url,
    migrationUrl,
    serviceUser: serviceUser(r, url, migrationUrl),
    poolMax: r.int('DB_POOL_MAX', 20, 1, 1000),
    connectionTimeoutMs: r.int('DB_CONNECTION_TIMEOUT_MS', 5000, 100, 600_000),
    idleTimeoutMs: r.int('DB_IDLE_TIMEOUT_MS', 30_000, 1000, 3_600_000),
    maxLifetimeS: r.int('DB_MAX_LIFETIME_S', 1800, 0, 86_400),
    statementTimeoutMs: r.int('DB_STATEMENT_TIMEOUT_MS', 30_000, 100, 3_600_000),
    applicationName: r.string('DB_APPLICATION_NAME', 'ymera'),
    migrationsRun: r.bool('MIGRATIONS_RUN', false),
  };
}

/** The user a PostgreSQL URL names ('' when it names none), or undefined when it is no URL. */
function userOf(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).username);
  } catch {
    return undefined;
  }
}

function serviceUser(r: EnvReader, url: string, migrationUrl: string): string | undefined {
  const service = userOf(url);
  const owner = userOf(migrationUrl);
  if (service === undefined || owner === undefined || service === owner) return undefined;
  if (!service) {
    // Without a user in the URL, libpq picks one from the environment of whichever process
    // connects: migrations could not know whom to grant to.
    r.invalid('DATABASE_URL', 'must name its user when MIGRATION_DATABASE_URL names another');
    return undefined;
  }
  return service;
}

function jwtSecret(r: EnvReader): string {
  const secret = r.string('JWT_SECRET');
  if (!secret) return secret;
  if (secret.length < MIN_SECRET_LENGTH) {
    r.invalid('JWT_SECRET', `must be at least ${MIN_SECRET_LENGTH} characters`);
  } else if (isPlaceholder(secret)) {
    r.invalid('JWT_SECRET', 'is a placeholder; generate one with `openssl rand -base64 48`');
  }
  return secret;
}

function isPlaceholder(secret: string): boolean {
  const lower = secret.toLowerCase();
  return (
    lower.startsWith('secret') ||
    PLACEHOLDER_MARKERS.some((marker) => lower.includes(marker)) ||
    new Set(secret).size < MIN_DISTINCT_SECRET_CHARS
  );
}

function webhooks(r: EnvReader): AppConfig['webhooks'] {
  const timeoutMs = r.int('WEBHOOK_TIMEOUT_MS', 10_000, 100, 600_000);
  const leaseMs = r.int('WEBHOOK_LEASE_MS', 60_000, 200, 3_600_000);
  if (leaseMs <= timeoutMs) {
    // A lease that ends while its delivery may still be under way lets a second worker send it.
    r.invalid('WEBHOOK_LEASE_MS', 'must be longer than WEBHOOK_TIMEOUT_MS');
  }
  return {
    maxAttempts: r.int('WEBHOOK_MAX_ATTEMPTS', 8, 1, 50),
    backoffBaseMs: r.int('WEBHOOK_BACKOFF_BASE_MS', 1000, 1, 3_600_000),
    timeoutMs,
    leaseMs,
    sweepIntervalMs: r.int('WEBHOOK_SWEEP_INTERVAL_MS', 5000, 50, 3_600_000),
  };
}

function bullBoard(r: EnvReader): AppConfig['bullBoard'] {
  const user = r.optional('BULL_BOARD_USER');
  const password = r.optional('BULL_BOARD_PASSWORD');
  if (Boolean(user) !== Boolean(password)) {
    r.invalid(
      user ? 'BULL_BOARD_PASSWORD' : 'BULL_BOARD_USER',
      'must be set together with its pair',
    );
  }
  return { user, password };
}
