import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { DispatchModule } from '../dispatch/dispatch.module';
import { AgentsController } from './agents.controller';
import { AgentsService } from './agents.service';
import { Agent } from './entities/agent.entity';

/** The agent registry and heartbeats. Endpoints pass dispatch's SSRF policy at registration. */
@Module({
  imports: [TypeOrmModule.forFeature([Agent]), AuditModule, DispatchModule],
  controllers: [AgentsController],
  providers: [AgentsService],
})
export class AgentsModule {}
