import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'ymera:isPublic';

/** Opens a route to requests without a token. Every other route requires one. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
