import { AuthAndAudit1764201600000 } from './1764201600000-auth-and-audit';
import { Agents1764288000000 } from './1764288000000-agents';
import { Tasks1764288100000 } from './1764288100000-tasks';
import { TaskCounts1764374400000 } from './1764374400000-task-counts';
import { AgentSlotsInRedis1764460800000 } from './1764460800000-agent-slots-in-redis';
import { SlotHoldersIndex1764547200000 } from './1764547200000-slot-holders-index';
import { UserChangeNotify1764633600000 } from './1764633600000-user-change-notify';
import { AuditRedact1764720000000 } from './1764720000000-audit-redact';
import { MachineIdentities1764806400000 } from './1764806400000-machine-identities';
import { WaitingForAgents1764806500000 } from './1764806500000-waiting-for-agents';
import { AgentCallbacks1764806700000 } from './1764806700000-agent-callbacks';
import { ReplayAndSchedule1764806800000 } from './1764806800000-replay-and-schedule';
import { TaskEvents1764806900000 } from './1764806900000-task-events';
import { Webhooks1764807000000 } from './1764807000000-webhooks';

/** Every migration, oldest first. Listed here so ts-node, the compiled app and Jest load the same set. */
export const migrations = [
  AuthAndAudit1764201600000,
  Agents1764288000000,
  Tasks1764288100000,
  TaskCounts1764374400000,
  AgentSlotsInRedis1764460800000,
  SlotHoldersIndex1764547200000,
  UserChangeNotify1764633600000,
  AuditRedact1764720000000,
  MachineIdentities1764806400000,
  WaitingForAgents1764806500000,
  AgentCallbacks1764806700000,
  ReplayAndSchedule1764806800000,
  TaskEvents1764806900000,
  Webhooks1764807000000,
];
