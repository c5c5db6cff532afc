import { Module } from '@nestjs/common';
import { DispatchModule } from '../dispatch/dispatch.module';
import { A2aCardCheck } from './a2a-card-check';

/** The periodic A2A card check (heartbeats of a2a agents); AppModule imports it where workers run. */
@Module({
  imports: [DispatchModule],
  providers: [A2aCardCheck],
})
export class A2aModule {}
