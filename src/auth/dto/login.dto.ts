import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { EXAMPLE_PASSWORD, MAX_PASSWORD_LENGTH, REGISTER_EXAMPLE } from './register.dto';

export class LoginDto {
  @ApiProperty({ description: 'Username or email', maxLength: 254, example: 'ada.lovelace' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(254)
  username: string;

  @ApiProperty({
    maxLength: MAX_PASSWORD_LENGTH,
    format: 'password',
    description: 'The password given at registration',
    example: EXAMPLE_PASSWORD,
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_PASSWORD_LENGTH)
  password: string;
}

/** The request example of the OpenAPI document: the account REGISTER_EXAMPLE creates. */
export const LOGIN_EXAMPLE: LoginDto = {
  username: REGISTER_EXAMPLE.username,
  password: REGISTER_EXAMPLE.password,
};
