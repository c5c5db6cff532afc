export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Typed accessors over an environment that collect every problem instead of stopping at the first.
 * Values never appear in messages: a variable may hold a secret.
 */
export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  optional(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value ? value : undefined;
  }

  /** A required string when no fallback is given. */
  string(name: string, fallback?: string): string {
    const value = this.optional(name) ?? fallback;
    if (value === undefined) {
      this.invalid(name, 'is required');
      return '';
    }
    return value;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw) || value < min || value > max) {
      this.invalid(name, `must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.optional(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    this.invalid(name, 'must be true or false');
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      this.invalid(name, `must be one of ${allowed.join(', ')}`);
      return fallback;
    }
    return raw as T;
  }

  list(name: string): string[] {
    const raw = this.optional(name);
    if (raw === undefined) return [];
    return raw
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  }

  url(name: string, protocols: readonly string[], fallback?: string): string {
    const value = this.string(name, fallback);
    if (!value) return value;
    let protocol: string;
    try {
      protocol = new URL(value).protocol;
    } catch {
      this.invalid(name, 'must be a URL');
      return value;
    }
    if (!protocols.includes(protocol)) {
      this.invalid(name, `must be a ${protocols.map((p) => p.slice(0, -1)).join(' or ')} URL`);
    }
    return value;
  }

  /** TRUST_PROXY: true/false, or a hop count (how many proxies in front of us to believe). */
  trustProxy(name: string): boolean | number {
    const raw = this.optional(name)?.toLowerCase();
    if (raw === undefined || raw === 'false' || raw === '0') return false;
    if (raw === 'true') return true;
    if (/^\d+$/.test(raw) && Number(raw) <= 100) return Number(raw);
    this.invalid(name, 'must be true, false or a hop count');
    return false;
  }

  invalid(name: string, message: string): void {
    this.problems.push(`${name} ${message}`);
  }

  throwIfInvalid(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}
