import { Module } from '@nestjs/common';
import { DispatchModule } from '../dispatch/dispatch.module';
import { QueueModule } from '../queue/queue.module';
import { AgentHeartbeatSweeper } from './agent-heartbeat.sweeper';
import { AgentRouter } from './agent-router';
import { AgentSlots } from './agent-slots';
import { ClosedAttempts } from './closed-attempts.service';
import { ExecutionRepository } from './execution.repository';
import { TaskEventsModule } from './task-events.module';
import { TaskReconciler } from './task-reconciler.service';
import { TaskRunner } from './task-runner.service';
import { TasksProcessor } from './tasks.processor';
import { WaitingTasks } from './waiting-tasks.service';

/**
 * One attempt of a task, end to end: the processor takes the job, the runner routes it to an agent
 * (AgentRouter, AgentSlots), dispatches it and records the outcome (ExecutionRepository). Beside
 * it, the tasks waiting for an agent (parked and woken), the attempts closed elsewhere (a cancel,
 * the agent's report after a 202: ClosedAttempts), the reconciler (no accepted task is ever lost)
 * and the heartbeat sweeper. This is what a
 * worker runs: AppModule imports it only where APP_ROLE runs workers (all, worker).
 */
@Module({
  imports: [QueueModule, DispatchModule, TaskEventsModule],
  providers: [
    ExecutionRepository,
    AgentSlots,
    AgentRouter,
    TaskRunner,
    TasksProcessor,
    TaskReconciler,
    AgentHeartbeatSweeper,
    WaitingTasks,
    ClosedAttempts,
  ],
})
export class ExecutionModule {}
