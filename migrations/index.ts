import { AuthAndAudit1764201600000 } from './1764201600000-auth-and-audit';

/** Every migration, oldest first. Listed here so ts-node, the compiled app and Jest load the same set. */
export const migrations = [AuthAndAudit1764201600000];
