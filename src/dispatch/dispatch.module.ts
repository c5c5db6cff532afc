import { Module } from '@nestjs/common';
import { DispatchService } from './dispatch.service';
import { EndpointPolicy, HostResolver } from './endpoint-policy';

/**
 * How a message reaches an agent: the transports and the SSRF policy. The agent registry uses the
 * policy to check an endpoint at registration; the execution module dispatches.
 */
@Module({
  providers: [DispatchService, EndpointPolicy, HostResolver],
  exports: [DispatchService, EndpointPolicy],
})
export class DispatchModule {}
