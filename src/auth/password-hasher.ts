import { Injectable, OnModuleInit } from '@nestjs/common';
import { hash, verify } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';

/**
 * argon2id (the library's default algorithm) with its default cost: 19 MiB, 2 passes, 1 lane,
 * the OWASP baseline.
 */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  /** A real hash of nothing anyone knows, verified for unknown users so they cost the same time. */
  private decoy: string;

  async onModuleInit(): Promise<void> {
    this.decoy = await hash(randomBytes(32).toString('base64'));
  }

  hash(password: string): Promise<string> {
    return hash(password);
  }

  /** Verifies against the user's hash, or against the decoy when there is no user. */
  async verify(passwordHash: string | null, password: string): Promise<boolean> {
    const matches = await verify(passwordHash ?? this.decoy, password);
    return passwordHash !== null && matches;
  }
}
