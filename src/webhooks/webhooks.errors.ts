import { DomainError, ProblemTypes } from '../common/errors/domain-error';

export enum WebhooksErrorCode {
  WebhookNotFound = 'webhook-not-found',
}

export const WEBHOOKS_PROBLEM_TYPES: ProblemTypes<WebhooksErrorCode> = {
  [WebhooksErrorCode.WebhookNotFound]: {
    status: 404,
    title: 'Webhook not found',
    meaning: 'No such webhook, or it is not yours (deleted webhooks are gone)',
  },
};

export class WebhooksError extends DomainError<WebhooksErrorCode> {
  constructor(code: WebhooksErrorCode, message: string) {
    super(code, message, WEBHOOKS_PROBLEM_TYPES);
  }
}
