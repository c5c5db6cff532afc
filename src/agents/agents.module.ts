import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { AgentHeartbeatSweeper } from './agent-heartbeat.sweeper';
import { AgentSlots } from './agent-slots';
import { AgentsController } from './agents.controller';
import { AgentsService } from './agents.service';
import { EndpointPolicy } from './endpoint-policy';
import { Agent } from './entities/agent.entity';

/** The agent registry. Exports routing (AgentsService, AgentSlots) and the SSRF guard for dispatch. */
@Module({
  imports: [TypeOrmModule.forFeature([Agent]), AuditModule],
  controllers: [AgentsController],
  providers: [AgentsService, AgentSlots, EndpointPolicy, AgentHeartbeatSweeper],
  exports: [AgentsService, AgentSlots, EndpointPolicy],
})
export class AgentsModule {}
