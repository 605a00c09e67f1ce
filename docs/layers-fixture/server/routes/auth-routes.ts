/** The mounting module: the one route module that may import others. */
import { Hono } from 'hono';
import { signinRoutes } from './signin.js';
import { unlockRoutes } from './unlock.js';

export const authRoutes = new Hono().route('/', signinRoutes).route('/', unlockRoutes);
