import { DomainError, ProblemTypes } from '../common/errors/domain-error';

export enum ApiKeysErrorCode {
  ApiKeyNotFound = 'api-key-not-found',
}

export const API_KEYS_PROBLEM_TYPES: ProblemTypes<ApiKeysErrorCode> = {
  [ApiKeysErrorCode.ApiKeyNotFound]: {
    status: 404,
    title: 'API key not found',
    meaning: 'No such API key, or it is not yours (already revoked keys are gone)',
  },
};

export class ApiKeysError extends DomainError<ApiKeysErrorCode> {
  constructor(code: ApiKeysErrorCode, message: string) {
    super(code, message, API_KEYS_PROBLEM_TYPES);
  }
}
