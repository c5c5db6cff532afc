import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, Length, Matches, MaxLength, MinLength } from 'class-validator';

export const USERNAME_PATTERN = /^[A-Za-z0-9._-]+$/;
export const MIN_PASSWORD_LENGTH = 12;
/** argon2 hashes any length, but an unbounded one is a free CPU sink for an attacker. */
export const MAX_PASSWORD_LENGTH = 256;
/** The password of the OpenAPI examples: long enough to register with (README's quick start). */
export const EXAMPLE_PASSWORD = 'correct horse battery staple';

export class RegisterDto {
  @ApiProperty({
    minLength: 3,
    maxLength: 50,
    pattern: USERNAME_PATTERN.source,
    description: 'Unique, whatever its case; letters, digits, ".", "_" and "-"',
    example: 'ada.lovelace',
  })
  @IsString()
  @Length(3, 50)
  @Matches(USERNAME_PATTERN, {
    message: 'username may hold only letters, digits, ".", "_" and "-"',
  })
  username: string;

  @ApiProperty({
    format: 'email',
    maxLength: 254,
    description: 'Unique, whatever its case; one may log in with it instead of the username',
    example: 'ada@example.com',
  })
  @IsString()
  @MaxLength(254)
  @IsEmail()
  email: string;

  @ApiProperty({
    minLength: MIN_PASSWORD_LENGTH,
    maxLength: MAX_PASSWORD_LENGTH,
    format: 'password',
    description: `At least ${MIN_PASSWORD_LENGTH} characters; a passphrase is best`,
    example: EXAMPLE_PASSWORD,
  })
  @IsString()
  @MinLength(MIN_PASSWORD_LENGTH)
  @MaxLength(MAX_PASSWORD_LENGTH)
  password: string;
}

/** The request example of the OpenAPI document: registers once, then answers 409. */
export const REGISTER_EXAMPLE: RegisterDto = {
  username: 'ada.lovelace',
  email: 'ada@example.com',
  password: EXAMPLE_PASSWORD,
};
