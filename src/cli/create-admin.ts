import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { AuditAction } from '../audit/audit-actions';
import { AuditService } from '../audit/audit.service';
import { AuditLog } from '../audit/entities/audit-log.entity';
import { MIN_PASSWORD_LENGTH } from '../auth/dto/register.dto';
import { User } from '../auth/entities/user.entity';
import { PasswordHasher } from '../auth/password-hasher';
import { UsersService } from '../auth/users.service';
import { loadDatabaseConfig } from '../config/app-config';
import { dataSourceOptions } from '../database/data-source-options';

export interface AdminInput {
  username: string;
  email: string;
  password: string | undefined;
}

/**
 * Creates an admin, or promotes the existing user with that username or email (whose password is
 * then left as it is). Audited as admin.create with no actor: the operator at the console.
 */
export async function createOrPromoteAdmin(
  dataSource: DataSource,
  input: AdminInput,
): Promise<{ user: User; created: boolean }> {
  const users = new UsersService(dataSource.getRepository(User));
  const audit = new AuditService(dataSource.getRepository(AuditLog));
  const existing =
    (await users.findByLogin(input.username)) ?? (await users.findByLogin(input.email));
  if (!existing && (!input.password || input.password.length < MIN_PASSWORD_LENGTH)) {
    throw new Error(`ADMIN_PASSWORD must be set to at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  const passwordHash = existing ? null : await new PasswordHasher().hash(input.password!);
  return dataSource.transaction(async (manager) => {
    let user: User;
    if (existing) {
      await manager.getRepository(User).update({ id: existing.id }, { role: 'admin' });
      user = { ...existing, role: 'admin' };
    } else {
      user = await users.create(manager, {
        username: input.username,
        email: input.email,
        passwordHash: passwordHash!,
        role: 'admin',
      });
    }
    await audit.record(
      {
        action: AuditAction.AdminCreate,
        resourceType: 'user',
        resourceId: user.id,
        details: { username: user.username, promoted: Boolean(existing) },
      },
      manager,
    );
    return { user, created: !existing };
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { username: { type: 'string' }, email: { type: 'string' } },
  });
  if (!values.username || !values.email) {
    throw new Error('usage: ADMIN_PASSWORD=... npm run admin:create -- --username <u> --email <e>');
  }
  const dataSource = await new DataSource(
    dataSourceOptions(loadDatabaseConfig(process.env)),
  ).initialize();
  try {
    const { user, created } = await createOrPromoteAdmin(dataSource, {
      username: values.username,
      email: values.email,
      password: process.env.ADMIN_PASSWORD,
    });
    process.stdout.write(
      `${created ? 'Created' : 'Promoted'} admin ${user.username} (${user.id})\n`,
    );
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
