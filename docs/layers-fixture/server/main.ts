/** The composition root: may import every layer. */
import { authRoutes } from './routes/auth-routes.js';

export const app = authRoutes;
export type Root = 'root';
