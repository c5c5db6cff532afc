import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, QueryFailedError, Repository } from 'typeorm';
import { Role } from '../common/auth/role';
import { AuthError, AuthErrorCode } from './auth.errors';
import { UserDto } from './dto/user.dto';
import { User } from './entities/user.entity';

const UNIQUE_VIOLATION = '23505';

export interface NewUser {
  username: string;
  email: string;
  passwordHash: string;
  role?: Role;
}

@Injectable()
export class UsersService {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  /** By username or email, whatever their case. */
  findByLogin(login: string): Promise<User | null> {
    return this.users
      .createQueryBuilder('user')
      .where('lower(user.username) = lower(:login) OR lower(user.email) = lower(:login)', { login })
      .getOne();
  }

  async get(id: string): Promise<User> {
    const user = await this.users.findOneBy({ id });
    if (!user) throw new AuthError(AuthErrorCode.UserNotFound, 'User not found.');
    return user;
  }

  /** The caller's own account, as the API shows it. */
  async me(userId: string): Promise<UserDto> {
    return UserDto.from(await this.get(userId));
  }

  /** Inserts a user; a taken username or email (whatever its case) is a 409. */
  async create(manager: EntityManager, values: NewUser): Promise<User> {
    const repository = manager.getRepository(User);
    try {
      const user = repository.create({ ...values, email: values.email.toLowerCase() });
      return await repository.save(user);
    } catch (error) {
      if (
        error instanceof QueryFailedError &&
        (error.driverError as { code?: string }).code === UNIQUE_VIOLATION
      ) {
        throw new AuthError(AuthErrorCode.AccountTaken, 'That username or email is already taken.');
      }
      throw error;
    }
  }
}
