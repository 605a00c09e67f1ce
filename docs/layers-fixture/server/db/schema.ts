/** The schema imports no local module. */
export const users = 'users';
