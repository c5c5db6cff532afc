import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AuthenticatedUser } from '../../common/decorators/current-user.decorator';
import { Role } from '../../common/auth/role';
import { ROLES_KEY } from '../../common/decorators/roles.decorator';
import { AuthError, AuthErrorCode } from '../auth.errors';

/** Global: enforces @Roles() where present. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!roles?.length) return true;
    const user = context.switchToHttp().getRequest<Request>().user as AuthenticatedUser | undefined;
    if (user && roles.includes(user.role)) return true;
    throw new AuthError(AuthErrorCode.RoleRequired, 'This action needs the admin role.');
  }
}
