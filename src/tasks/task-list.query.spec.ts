import { TaskDto } from './dto/task.dto';
import { Task } from './entities/task.entity';
import { TASK_DTO_SQL } from './task-list.query';

describe('TASK_DTO_SQL', () => {
  it('writes exactly the fields of TaskDto.from, in its order', () => {
    const task = Object.assign(new Task(), {
      id: 'a',
      ownerId: 'b',
      agentId: null,
      requestedAgentId: null,
      name: 'n',
      description: null,
      taskType: 't',
      parameters: {},
      priority: 'normal',
      status: 'pending',
      result: null,
      errorMessage: null,
      attempts: 0,
      maxAttempts: 3,
      createdAt: new Date(0),
      updatedAt: new Date(0),
      startedAt: null,
      completedAt: null,
      runAt: null,
    });
    expect(Object.keys(TASK_DTO_SQL)).toEqual(Object.keys(TaskDto.from(task)));
  });
});
