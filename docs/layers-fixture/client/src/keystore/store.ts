import { ApiError } from '../services/api.js';

/** Bad: the key store reaches up into services. */
export class Store extends ApiError {}
