import { ApiProperty } from '@nestjs/swagger';
import { UserDto } from './user.dto';

export class AuthResponseDto {
  @ApiProperty({ type: UserDto }) user: UserDto;
  @ApiProperty({ description: 'JWT (HS256), valid for expiresIn seconds' }) accessToken: string;
  @ApiProperty({ description: 'Opaque, single use: exchange it at /auth/refresh for a new pair' })
  refreshToken: string;
  @ApiProperty({ enum: ['Bearer'] }) tokenType: 'Bearer';
  @ApiProperty({ example: 900, description: 'Access token lifetime in seconds' }) expiresIn: number;
}
