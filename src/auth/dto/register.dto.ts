import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, Length, Matches, MaxLength, MinLength } from 'class-validator';

export const USERNAME_PATTERN = /^[A-Za-z0-9._-]+$/;
export const MIN_PASSWORD_LENGTH = 12;
/** argon2 hashes any length, but an unbounded one is a free CPU sink for an attacker. */
export const MAX_PASSWORD_LENGTH = 256;

export class RegisterDto {
  @ApiProperty({
    minLength: 3,
    maxLength: 50,
    pattern: USERNAME_PATTERN.source,
    example: 'ada.lovelace',
  })
  @IsString()
  @Length(3, 50)
  @Matches(USERNAME_PATTERN, {
    message: 'username may hold only letters, digits, ".", "_" and "-"',
  })
  username: string;

  @ApiProperty({ format: 'email', maxLength: 254, example: 'ada@example.com' })
  @IsString()
  @MaxLength(254)
  @IsEmail()
  email: string;

  @ApiProperty({
    minLength: MIN_PASSWORD_LENGTH,
    maxLength: MAX_PASSWORD_LENGTH,
    format: 'password',
  })
  @IsString()
  @MinLength(MIN_PASSWORD_LENGTH)
  @MaxLength(MAX_PASSWORD_LENGTH)
  password: string;
}
