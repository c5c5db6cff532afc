import { SetMetadata } from '@nestjs/common';
import { ApiKeyScope } from '../auth/scopes';

export const IS_AGENT_ROUTE = 'ymera:agentRoute';
export const SCOPES_KEY = 'ymera:scopes';

/**
 * Marks the agent's own API (/api/v1/agent/...): only an agent token is admitted there, and an
 * agent token is admitted nowhere else.
 */
export const AgentRoute = () => SetMetadata(IS_AGENT_ROUTE, true);

/**
 * Opens a user route to API keys holding one of these scopes (the handler's list overrides its
 * controller's). A route without @Scopes refuses every API key (403).
 */
export const Scopes = (...scopes: ApiKeyScope[]) => SetMetadata(SCOPES_KEY, scopes);
