import { EntityManager, EntityTarget, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { AuthenticatedUser } from '../decorators/current-user.decorator';

/** A resource that belongs to one user (agents, tasks). */
interface Owned extends ObjectLiteral {
  id: string;
  ownerId: string;
}

/** The owner a user's queries are limited to, or null for an admin, who sees every resource. */
export function ownerFilter(actor: AuthenticatedUser): string | null {
  return actor.role === 'admin' ? null : actor.id;
}

/** Limits a query of owned resources (aliased `alias`) to those `actor` may see. */
export function visibleTo<T extends Owned>(
  qb: SelectQueryBuilder<T>,
  alias: string,
  actor: AuthenticatedUser,
): SelectQueryBuilder<T> {
  const ownerId = ownerFilter(actor);
  return ownerId ? qb.andWhere(`${alias}.ownerId = :ownerId`, { ownerId }) : qb;
}

/**
 * The owned resource `id` if `actor` may see it (row-locked for the transaction of `manager` with
 * `lock`). Another user's resource is refused with `notFound()` (the module's 404), exactly like a
 * missing one: nobody learns whether someone else's id exists.
 */
export async function findVisible<T extends Owned>(
  manager: EntityManager,
  entity: EntityTarget<T>,
  actor: AuthenticatedUser,
  id: string,
  notFound: () => Error,
  lock = false,
): Promise<T> {
  const alias = 'owned';
  const qb = visibleTo(
    manager.getRepository(entity).createQueryBuilder(alias).where(`${alias}.id = :id`, { id }),
    alias,
    actor,
  );
  if (lock) qb.setLock('pessimistic_write');
  const found = await qb.getOne();
  if (!found) throw notFound();
  return found;
}
