import { AuthAndAudit1764201600000 } from './1764201600000-auth-and-audit';
import { Agents1764288000000 } from './1764288000000-agents';
import { Tasks1764288100000 } from './1764288100000-tasks';

/** Every migration, oldest first. Listed here so ts-node, the compiled app and Jest load the same set. */
export const migrations = [AuthAndAudit1764201600000, Agents1764288000000, Tasks1764288100000];
