import { INestApplication, Type } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import { SkipThrottle } from '@nestjs/throttler';
import { IS_PUBLIC } from '../decorators/public.decorator';
import { Role } from '../auth/role';
import { ApiKeyScope } from '../auth/scopes';
import { IS_AGENT_ROUTE, SCOPES_KEY } from '../decorators/credentials.decorator';
import { ROLES_KEY } from '../decorators/roles.decorator';

/**
 * The metadata key @SkipThrottle({ default: true }) sets, read off the decorator itself:
 * @nestjs/throttler exports no constant for it.
 */
const SKIP_DEFAULT_THROTTLE = ((): string => {
  class Probe {}
  SkipThrottle({ default: true })(Probe);
  const [key] = Reflect.getOwnMetadataKeys(Probe) as string[];
  return key;
})();

/** Who may call a route and how, as the global guards will decide it. */
export interface RouteAccess {
  handlerName: string;
  isPublic: boolean;
  /** Only an agent token is admitted (@AgentRoute). */
  agentRoute: boolean;
  /** The API key scopes admitted (@Scopes); none: no API key. */
  scopes: readonly ApiKeyScope[];
  roles: readonly Role[];
  throttled: boolean;
}

/** Swagger's operationId of a handler: `authRegister` for AuthController.register. */
export function operationIdOf(controllerName: string, handlerName: string): string {
  const controller = controllerName.replace(/Controller$/, '');
  const head = controller.charAt(0).toLowerCase() + controller.slice(1);
  return `${head}${handlerName.charAt(0).toUpperCase()}${handlerName.slice(1)}`;
}

/**
 * Every route handler of the application by operationId, with the access rules read from the same
 * metadata, with the same precedence (handler over controller), as the auth, roles and throttle
 * guards. The document is completed from this, so it cannot disagree with what the guards do.
 */
export function routeAccessByOperationId(app: INestApplication): Map<string, RouteAccess> {
  const reflector = new Reflector();
  const scanner = new MetadataScanner();
  const routes = new Map<string, RouteAccess>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type<unknown> | null;
      if (typeof controller !== 'function') continue;
      const prototype = controller.prototype as Record<string, unknown>;
      for (const handlerName of scanner.getAllMethodNames(prototype)) {
        const handler = prototype[handlerName] as (...args: unknown[]) => unknown;
        if (Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        const targets = [handler, controller];
        routes.set(operationIdOf(controller.name, handlerName), {
          handlerName,
          isPublic: reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets) === true,
          agentRoute: reflector.getAllAndOverride<boolean>(IS_AGENT_ROUTE, targets) === true,
          scopes: reflector.getAllAndOverride<ApiKeyScope[] | undefined>(SCOPES_KEY, targets) ?? [],
          roles: reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets) ?? [],
          throttled: reflector.getAllAndOverride<boolean>(SKIP_DEFAULT_THROTTLE, targets) !== true,
        });
      }
    }
  }
  return routes;
}
