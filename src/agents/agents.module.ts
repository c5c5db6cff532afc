import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { DispatchModule } from '../dispatch/dispatch.module';
import { AgentCredentials } from './agent-credentials.service';
import { AgentsController } from './agents.controller';
import { AgentsService } from './agents.service';
import { Agent } from './entities/agent.entity';

/** The agent registry, heartbeats and agent credentials. Endpoints pass dispatch's SSRF policy at registration. */
@Module({
  imports: [TypeOrmModule.forFeature([Agent]), AuditModule, DispatchModule],
  controllers: [AgentsController],
  providers: [AgentsService, AgentCredentials],
  // AgentCredentials for the global guard (auth), AgentsService for the agent's own API.
  exports: [AgentsService, AgentCredentials],
})
export class AgentsModule {}
