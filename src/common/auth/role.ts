/** The roles a user holds (users.role): `admin` may call the routes marked @Roles('admin'). */
export const ROLES = ['user', 'admin'] as const;
export type Role = (typeof ROLES)[number];
