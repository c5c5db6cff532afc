/** What the dispatcher needs to reach an agent a task was routed to. */
export interface DispatchTarget {
  id: string;
  endpointUrl: string;
  protocol: 'http' | 'a2a';
  signingSecret: string;
}
