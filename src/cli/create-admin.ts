import { join } from 'node:path';
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
import { withDotEnv } from '../config/dot-env';
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

const USAGE = `usage: ADMIN_PASSWORD=... npm run admin:create -- --username <u> --email <e>

Creates an admin, or promotes the existing user with that username or email (whose password is
then left unchanged), and records admin.create in the audit trail (README, "The first admin").

Options:
  --username <u>  the admin's username
  --email <e>     the admin's email
  -h, --help      show this help

Environment (a variable set in the environment wins over its line in ./.env, as scripts/start.sh):
  DATABASE_URL    the database to write to, as the service's role; required: without it nothing is
                  written (no default database is assumed)
  ADMIN_PASSWORD  the new admin's password, at least ${MIN_PASSWORD_LENGTH} characters (not needed to promote)
`;

/** Where a PostgreSQL URL points, for people: host, port, database and user, never the password. */
export function describeDatabase(url: string): string {
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || "(the user's default)";
  const user = decodeURIComponent(parsed.username) || '(the default user)';
  return `database ${database} on ${parsed.hostname || 'localhost'}:${parsed.port || '5432'} as ${user}`;
}

class UsageError extends Error {}

function parse(args: string[]): { help: boolean; username?: string; email?: string } {
  try {
    const { values } = parseArgs({
      args,
      options: {
        username: { type: 'string' },
        email: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    return { help: values.help === true, username: values.username, email: values.email };
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
  }
}

/**
 * The command line: arguments, and the environment completed with the working directory's .env.
 * It refuses to run without DATABASE_URL rather than fall back to the development default, which
 * would create the admin in a database the operator did not mean, and it says where it wrote.
 */
export async function main(
  args: string[],
  processEnv: NodeJS.ProcessEnv,
  cwd: string,
  out: (text: string) => void,
): Promise<void> {
  const options = parse(args);
  if (options.help) return out(USAGE);
  if (!options.username || !options.email) {
    throw new UsageError(`--username and --email are required\n\n${USAGE}`);
  }
  const { env, file, fromFile } = withDotEnv(processEnv, cwd);
  if (!env.DATABASE_URL?.trim()) {
    throw new Error(
      `DATABASE_URL is set neither in the environment nor in ${file ?? `${join(cwd, '.env')} (no such file)`}: ` +
        'nothing was written. Set it to the URL of the database to create the admin in.',
    );
  }
  const config = loadDatabaseConfig(env);
  const source = fromFile.has('DATABASE_URL') ? file! : 'the environment';
  const dataSource = await new DataSource(dataSourceOptions(config)).initialize();
  try {
    const { user, created } = await createOrPromoteAdmin(dataSource, {
      username: options.username,
      email: options.email,
      password: env.ADMIN_PASSWORD,
    });
    out(`${created ? 'Created' : 'Promoted'} admin ${user.username} (${user.id})\n`);
    out(`in ${describeDatabase(config.url)} (DATABASE_URL from ${source})\n`);
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  main(process.argv.slice(2), process.env, process.cwd(), (text) =>
    process.stdout.write(text),
  ).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
