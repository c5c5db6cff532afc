import { SetMetadata } from '@nestjs/common';

export const ROLES = ['user', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const ROLES_KEY = 'ymera:roles';

/** Restricts a route (or a controller) to users holding one of these roles. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);
