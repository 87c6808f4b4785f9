import { applyDecorators, HttpStatus } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';
import type { ApiErrorDto } from '@pairchat/messaging';

export class ApiErrorResponseDto implements ApiErrorDto {
  @ApiProperty({ description: 'HTTP status, repeated in the body', example: 409 })
  statusCode!: number;

  @ApiProperty({ description: 'Stable machine-readable error code', example: 'HANDLE_TAKEN' })
  code!: string;

  @ApiProperty({
    description: 'Human-readable explanation (never contains user input)',
    example: 'this handle is taken',
  })
  message!: string;

  @ApiProperty({
    description: 'Request id, also in the x-request-id header and the server log',
    example: '6f1c1f1e-2f0a-4a53-9f5e-5d1e3c1b2a44',
  })
  correlationId!: string;

  @ApiPropertyOptional({
    description: 'Data about the error, e.g. `fields` for VALIDATION_FAILED',
    example: { fields: [{ field: 'handle', problems: ['handle must be a string'] }] },
  })
  details?: Record<string, unknown>;
}

/** Documents the error answers of a handler: status -> "CODE: when". */
export function ApiErrorResponses(errors: Partial<Record<HttpStatus, string>>) {
  return applyDecorators(
    ...Object.entries(errors).map(([status, description]) =>
      ApiResponse({ status: Number(status), description, type: ApiErrorResponseDto }),
    ),
  );
}

/** The answers every bearer-authenticated handler can give. */
export const BEARER_ERRORS = {
  [HttpStatus.UNAUTHORIZED]: 'UNAUTHORIZED: missing, malformed or expired access token, or the device was revoked',
} as const;
