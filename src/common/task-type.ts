/**
 * A task type, which is also what an agent's capability names: a task is routed to an agent whose
 * capabilities contain its type. A letter or digit, then letters, digits, ".", "_", ":", "/", "-".
 */
export const TASK_TYPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]*$/;
