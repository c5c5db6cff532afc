/**
 * Ymera's TypeScript library: a typed client of the HTTP API (sdk/client.ts) and the agent's side
 * of the dispatch protocol (sdk/agent.ts). README: "TypeScript client" and "Writing an agent in
 * TypeScript".
 */
export * from './client';
export * from './agent';
