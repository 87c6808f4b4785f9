import { HttpStatus } from '@nestjs/common';
import { defineErrors } from '../common/app-error.js';

export enum PairingErrorCode {
  CannotPairWithSelf = 'CANNOT_PAIR_WITH_SELF',
  AlreadyPaired = 'ALREADY_PAIRED',
  RequestExists = 'REQUEST_EXISTS',
  RequestNotFound = 'REQUEST_NOT_FOUND',
  PairNotFound = 'PAIR_NOT_FOUND',
}

export const pairingError = defineErrors<PairingErrorCode>({
  [PairingErrorCode.CannotPairWithSelf]: HttpStatus.BAD_REQUEST,
  [PairingErrorCode.AlreadyPaired]: HttpStatus.CONFLICT,
  [PairingErrorCode.RequestExists]: HttpStatus.CONFLICT,
  [PairingErrorCode.RequestNotFound]: HttpStatus.NOT_FOUND,
  [PairingErrorCode.PairNotFound]: HttpStatus.NOT_FOUND,
});
