import { ApiClient } from './client.js';

export { ApiClient, type TokenSource } from './client.js';
export { ApiError, describeError, isApiError } from './errors.js';

/** The app's one client. The session store hands it the tokens. */
export const api = new ApiClient();
