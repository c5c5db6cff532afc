import { Module } from '@nestjs/common';
import { A2aTransport } from './a2a-transport';
import { DispatchService } from './dispatch.service';
import { EndpointPolicy, HostResolver } from './endpoint-policy';
import { HttpTransport } from './http-transport';

/**
 * How a message reaches an agent: the transports and the SSRF policy. The agent registry uses the
 * policy to check an endpoint (and the A2A transport to read an a2a agent's card) at
 * registration; the execution module dispatches; the A2A card check reads cards; webhooks check
 * their URLs with the policy and send their deliveries with the HTTP transport.
 */
@Module({
  providers: [DispatchService, EndpointPolicy, HostResolver, HttpTransport, A2aTransport],
  exports: [DispatchService, EndpointPolicy, A2aTransport, HttpTransport],
})
export class DispatchModule {}
