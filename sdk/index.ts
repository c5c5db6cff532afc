/**
 * Ymera's TypeScript library: a typed client of the HTTP API (sdk/client.ts), the agent's side
 * of the dispatch protocol (sdk/agent.ts) and the receiver's side of webhooks (sdk/webhooks.ts).
 * README: "TypeScript client", "Writing an agent in TypeScript" and "Webhooks".
 */
export * from './client';
export * from './agent';
export * from './webhooks';
