import { INestApplication } from '@nestjs/common';
import {
  DocumentBuilder,
  OpenAPIObject,
  OperationObject,
  ParameterObject,
  ReferenceObject,
  ResponseObject,
  SwaggerModule,
} from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { ProblemCatalog, problemTypeUri } from '../errors/domain-error';
import { operationIdOf, RouteAccess, routeAccessByOperationId } from './openapi-routes';
import { addWebhooks, AGENT_PROTOCOL_WEBHOOKS, OpenApiWebhooks } from './openapi-webhooks';
import { PROBLEM_CONTENT_TYPE } from './problem';
import { ProblemDetailsDto } from './problem-details.dto';
import {
  isProblemTypeHint,
  problemContent,
  problemDescription,
  problemExample,
  RETRY_AFTER_HEADER,
} from './problem-responses';

export const BEARER_SCHEME = 'bearer';
export const API_KEY_SCHEME = 'apiKey';
export const AGENT_TOKEN_SCHEME = 'agentToken';

/**
 * Descriptions of the tags controllers use (@ApiTags). Only tags some operation uses appear in the
 * document; a tag missing here fails the OpenAPI lint (tag-description), so add one with the module.
 */
const TAG_DESCRIPTIONS: Record<string, string> = {
  auth: 'Registration, login and rotating refresh tokens (rate limited per client IP)',
  users: 'The authenticated user',
  agents: 'The AI agents a team runs: registry, capabilities, heartbeats, agent credentials',
  agent: "The agent's own API, called by an agent with its agent token",
  'api-keys': 'API keys for scripts, CI and services acting for a user, limited to scopes',
  tasks: 'Tasks submitted to agents: routing, dispatch, retries, attempts',
  audit: 'The append-only audit trail (admin only)',
  health: 'Readiness and liveness probes for orchestrators',
  metrics: 'Prometheus metrics',
};

const DESCRIPTION = [
  'Register AI agents, submit tasks, and audit who did what.',
  '',
  '- Resource endpoints live under `/api/v1`; health, metrics and these docs are unversioned.',
  '- Every request needs `Authorization: Bearer <accessToken>` unless its operation says otherwise.',
  '  Operations that list the `apiKey` scheme also take an API key (`ymrk_…`) holding the scope',
  "  they name; the agent's own operations (`/api/v1/agent/...`) take only an agent token (`ymra_…`).",
  '- Every response carries an `X-Request-Id` header (a safe one sent by the client is echoed).',
  '- Every error is RFC 9457 problem details (`application/problem+json`, schema `ProblemDetails`);',
  '  its `type` is `urn:ymera:problem:<code>` (listed in the schema and the README\'s "Errors"),',
  '  or `about:blank` for a server failure.',
  '- Lists take `skip`, `limit` (1..1000) and `cursor`, and answer',
  '  `{ items, total, skip, limit, nextCursor }`, newest first.',
  '- `webhooks` are the other direction: the signed messages Ymera sends an http agent at its',
  '  `endpointUrl`, and the answers it reads (docs/agent-protocol.md), and the task events it',
  "  delivers to a webhook's `url` (`task-event`).",
].join('\n');

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** "listAgents" -> "List agents": a summary for operations that declare none. */
function summaryFrom(handlerName: string): string {
  const words = handlerName.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The error statuses every operation shares, derived from what the global guards and pipes do. */
function sharedErrorStatuses(operation: OperationObject, access: RouteAccess): number[] {
  const takesInput = Boolean(operation.requestBody) || (operation.parameters?.length ?? 0) > 0;
  return [
    ...(takesInput ? [400] : []),
    ...(access.isPublic ? [] : [401]),
    ...(access.roles.length > 0 || access.scopes.length > 0 ? [403] : []),
    ...(operation.requestBody ? [413, 415] : []),
    ...(access.throttled ? [429] : []),
    500,
  ];
}

function isReference(value: unknown): value is ReferenceObject {
  return typeof value === 'object' && value !== null && '$ref' in value;
}

/** An example id for path parameters: every id of the API is a UUID. */
const EXAMPLE_ID = '4d6c8c36-7b8a-4c1e-9a57-2a1f0c7e5b10';

/** What an error example needs to know about the operation it belongs to. */
interface ExampleContext {
  instance: string;
  field?: string;
}

function exampleContext(
  path: string,
  operation: OperationObject,
  document: OpenAPIObject,
): ExampleContext {
  const instance = path.replace(/\{[^}]+\}/g, EXAMPLE_ID);
  const body = operation.requestBody;
  const bodySchema =
    body && !isReference(body) ? body.content['application/json']?.schema : undefined;
  const bodyFields =
    bodySchema && isReference(bodySchema)
      ? document.components?.schemas?.[bodySchema.$ref.split('/').pop() ?? '']
      : bodySchema;
  const firstBodyField =
    bodyFields && !isReference(bodyFields)
      ? Object.keys(bodyFields.properties ?? {})[0]
      : undefined;
  const firstParameter = (operation.parameters ?? []).find(
    (parameter): parameter is ParameterObject => !isReference(parameter),
  )?.name;
  return { instance, field: firstBodyField ?? firstParameter };
}

function completeErrorResponse(
  status: number,
  response: ResponseObject,
  context: ExampleContext,
  problems: ProblemCatalog,
): void {
  // A description the route gave (not the API-wide default) is the best example detail.
  const given = response.description !== problemDescription(status) ? response.description : '';
  response.description ||= problemDescription(status);
  response.content ??= problemContent();
  const problem = response.content[PROBLEM_CONTENT_TYPE];
  if (problem && problem.examples === undefined) {
    // The route's problem type (@ApiProblemResponses code), else what the guards and pipes answer.
    const hinted: unknown = problem.example;
    const shared = problems.sharedStatusCodes[status];
    const type = isProblemTypeHint(hinted)
      ? hinted.type
      : shared !== undefined
        ? problemTypeUri(shared)
        : undefined;
    if (hinted === undefined || isProblemTypeHint(hinted)) {
      const title = problems.types.find((entry) => entry.type === type)?.title;
      problem.example = problemExample(status, { ...context, detail: given, type, title });
    }
  }
  if (status === 429) response.headers ??= { ...RETRY_AFTER_HEADER };
}

function statusOrder(code: string): number {
  return code === 'default' ? Number.MAX_SAFE_INTEGER : Number(code);
}

/**
 * Makes one operation say what the API does for every route: its security (public or bearer), a
 * summary, and the problem-details error responses that come from guards, pipes and the filter.
 */
function completeOperation(
  operation: OperationObject,
  access: RouteAccess,
  context: ExampleContext,
  problems: ProblemCatalog,
): void {
  operation.summary ||= summaryFrom(access.handlerName);
  if (access.isPublic) operation.security = [];
  else if (access.agentRoute) operation.security = [{ [AGENT_TOKEN_SCHEME]: [] }];
  else if (access.scopes.length > 0) {
    operation.security = [{ [BEARER_SCHEME]: [] }, { [API_KEY_SCHEME]: [] }];
    const scopes = access.scopes.map((scope) => `\`${scope}\``).join(' or ');
    operation.description = `${operation.description ?? ''}\n\nAPI keys: needs ${scopes}.`.trim();
  } else delete operation.security; // inherits the document's bearer requirement

  // Controller-level responses are one object shared by every operation: complete copies.
  const responses = structuredClone(operation.responses) as Record<
    string,
    ResponseObject | ReferenceObject
  >;
  for (const status of sharedErrorStatuses(operation, access)) {
    responses[status] ??= { description: problemDescription(status) };
  }
  for (const [code, response] of Object.entries(responses)) {
    if (isReference(response)) continue;
    if (Number(code) >= 400) completeErrorResponse(Number(code), response, context, problems);
    else response.description ||= STATUS_CODES[Number(code)] ?? 'Success';
  }
  operation.responses = Object.fromEntries(
    Object.entries(responses).sort(([a], [b]) => statusOrder(a) - statusOrder(b)),
  );
}

function sortedByKey<T>(record: Record<string, T> | undefined): Record<string, T> | undefined {
  if (!record) return record;
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/**
 * The ProblemDetails schema names every problem type in `x-problem-types`, with its status, title
 * and meaning (as the README's "Errors" table does). Not as an enum of `type`: clients generated
 * from a closed enum (Java, Kotlin, C#) fail to read a type added in a later release, when an
 * unknown type should be handled by its status.
 */
function describeProblemTypes(document: OpenAPIObject, problems: ProblemCatalog): void {
  const schema = document.components?.schemas?.ProblemDetails;
  if (!schema || isReference(schema)) throw new Error('The ProblemDetails schema is missing');
  (schema as Record<string, unknown>)['x-problem-types'] = problems.types.map(
    ({ type, status, title, meaning }) => ({
      type,
      status,
      title,
      description: meaning,
    }),
  );
}

/**
 * @nestjs/swagger writes OpenAPI 3.0 schemas; the document is 3.1 (for `webhooks`), where
 * `nullable: true` is spelled as a `"null"` type (and a null in the enum, when there is one).
 */
function nullableTo31(value: unknown): void {
  if (Array.isArray(value)) return value.forEach(nullableTo31);
  if (typeof value !== 'object' || value === null) return;
  const schema = value as Record<string, unknown>;
  if (schema.nullable === true && typeof schema.type === 'string') {
    schema.type = [schema.type, 'null'];
    if (Array.isArray(schema.enum)) schema.enum = [...(schema.enum as unknown[]), null];
    delete schema.nullable;
  }
  Object.values(schema).forEach(nullableTo31);
}

/**
 * The OpenAPI document of the application, built from its controllers and completed with what is
 * common to every route. Paths, schemas and tags are sorted, so the document only changes when
 * the API does (openapi.json at the repository root is this, checked in). `problems` lists the
 * problem types of every module (src/problem-types.ts); `webhooks` the messages modules send
 * besides the agent protocol's (src/webhooks/webhooks.openapi.ts).
 */
export function buildOpenApiDocument(
  app: INestApplication,
  problems: ProblemCatalog,
  webhooks: readonly OpenApiWebhooks[] = [],
): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Ymera')
    .setDescription(DESCRIPTION)
    .setOpenAPIVersion('3.1.0')
    .setVersion('1')
    .setLicense('Apache-2.0', 'https://www.apache.org/licenses/LICENSE-2.0')
    .addServer('/', 'This server')
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Access token' },
      BEARER_SCHEME,
    )
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'ymrk_',
        description:
          'API key (POST /api/v1/api-keys): acts as its owner on the operations that list this ' +
          'scheme, within its scopes',
      },
      API_KEY_SCHEME,
    )
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'ymra_',
        description:
          "Agent token (agentToken of POST /api/v1/agents): only on the agent's own operations",
      },
      AGENT_TOKEN_SCHEME,
    )
    .addSecurityRequirements(BEARER_SCHEME)
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: operationIdOf,
    extraModels: [ProblemDetailsDto],
  });

  const routes = routeAccessByOperationId(app);
  const usedTags = new Set<string>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const access = routes.get(operation.operationId ?? '');
      if (!access) throw new Error(`No route handler found for operation ${method} ${path}`);
      completeOperation(operation, access, exampleContext(path, operation, document), problems);
      operation.tags?.forEach((tag) => usedTags.add(tag));
    }
  }

  const parts = [AGENT_PROTOCOL_WEBHOOKS, ...webhooks];
  addWebhooks(document, parts);
  const descriptions: Record<string, string> = { ...TAG_DESCRIPTIONS };
  for (const { tag } of parts) {
    usedTags.add(tag.name);
    descriptions[tag.name] = tag.description;
  }
  nullableTo31(document);
  document.tags = [...usedTags]
    .sort()
    .map((name) => (descriptions[name] ? { name, description: descriptions[name] } : { name }));
  describeProblemTypes(document, problems);
  if (Object.keys(document.info.contact ?? {}).length === 0) delete document.info.contact;
  document.paths = sortedByKey(document.paths)!;
  if (document.components) document.components.schemas = sortedByKey(document.components.schemas);
  return document;
}

/** openapi.json as checked in: two-space JSON with a final newline. */
export function serializeOpenApiDocument(document: OpenAPIObject): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
