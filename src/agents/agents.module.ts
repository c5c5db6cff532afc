import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { AgentHeartbeatSweeper } from './agent-heartbeat.sweeper';
import { AgentsController } from './agents.controller';
import { AgentsService } from './agents.service';
import { EndpointPolicy } from './endpoint-policy';
import { Agent } from './entities/agent.entity';

/** The agent registry. Exports routing (AgentsService) and the SSRF guard for dispatch. */
@Module({
  imports: [TypeOrmModule.forFeature([Agent]), AuditModule],
  controllers: [AgentsController],
  providers: [AgentsService, EndpointPolicy, AgentHeartbeatSweeper],
  exports: [AgentsService, EndpointPolicy],
})
export class AgentsModule {}
