/** POST /auth/logout takes an empty object; any field is rejected. */
export class SessionLogoutRequestDto {}
