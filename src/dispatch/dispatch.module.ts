import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { DispatchService } from './dispatch.service';

@Module({
  imports: [AgentsModule],
  providers: [DispatchService],
  exports: [DispatchService],
})
export class DispatchModule {}
