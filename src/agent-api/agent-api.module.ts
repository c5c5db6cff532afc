import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { AgentApiController } from './agent-api.controller';

/** The API agents call about themselves with their agent token (/api/v1/agent/...). */
@Module({
  imports: [AgentsModule],
  controllers: [AgentApiController],
})
export class AgentApiModule {}
