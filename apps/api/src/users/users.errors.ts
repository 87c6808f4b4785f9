import { HttpStatus } from '@nestjs/common';
import { defineErrors } from '../common/app-error.js';

export enum UsersErrorCode {
  HandleTaken = 'HANDLE_TAKEN',
  UserNotFound = 'USER_NOT_FOUND',
}

export const usersError = defineErrors<UsersErrorCode>({
  [UsersErrorCode.HandleTaken]: HttpStatus.CONFLICT,
  [UsersErrorCode.UserNotFound]: HttpStatus.NOT_FOUND,
});
