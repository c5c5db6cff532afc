import { TASK_TYPE_PATTERN } from '../common/task-type';
import { AgentCardError, DispatchErrorCode } from '../dispatch/dispatch.errors';
import { MAX_CAPABILITIES } from './dto/agent-fields';

const MAX_CAPABILITY_LENGTH = 100;

const invalid = (message: string) =>
  new AgentCardError(DispatchErrorCode.AgentCardInvalid, `The agent card ${message}.`);

/**
 * The capabilities of an a2a agent registered without any: its card's skill ids, which must be
 * capabilities as the API would accept them (docs/agent-protocol.md, "A2A agents").
 */
export function capabilitiesFromSkills(skillIds: string[]): string[] {
  const unique = [...new Set(skillIds)];
  if (unique.length === 0) {
    throw invalid('lists no skills, so it names no capabilities: send capabilities');
  }
  if (unique.length > MAX_CAPABILITIES) {
    throw invalid(`lists more than ${MAX_CAPABILITIES} skills: send capabilities`);
  }
  const bad = unique.find((id) => id.length > MAX_CAPABILITY_LENGTH || !TASK_TYPE_PATTERN.test(id));
  if (bad !== undefined) {
    throw invalid(
      `has the skill id ${JSON.stringify(bad.slice(0, MAX_CAPABILITY_LENGTH))}, which is not a ` +
        'capability (1-100 of letters, digits, . _ : / -): send capabilities',
    );
  }
  return unique;
}
