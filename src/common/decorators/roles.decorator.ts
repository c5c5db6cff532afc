import { SetMetadata } from '@nestjs/common';
import { Role } from '../auth/role';

export const ROLES_KEY = 'ymera:roles';

/** Restricts a route (or a controller) to users holding one of these roles. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);
