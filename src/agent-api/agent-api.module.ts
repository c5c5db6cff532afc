import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { AttemptReportsModule } from '../execution/attempt-reports.module';
import { AgentApiController } from './agent-api.controller';
import { AgentApiService } from './agent-api.service';

/** The API agents call about themselves with their agent token (/api/v1/agent/...). */
@Module({
  imports: [AgentsModule, AttemptReportsModule],
  controllers: [AgentApiController],
  providers: [AgentApiService],
})
export class AgentApiModule {}
