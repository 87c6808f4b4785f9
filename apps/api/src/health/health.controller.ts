import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { RedisHealthIndicator } from './redis.health.js';

const HEALTH_SCHEMA = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ok', 'error'], description: 'Overall status', example: 'ok' },
    info: {
      type: 'object',
      description: 'Dependencies that are up',
      example: { database: { status: 'up' }, redis: { status: 'up' } },
    },
    error: { type: 'object', description: 'Dependencies that are down', example: {} },
    details: {
      type: 'object',
      description: 'Every checked dependency',
      example: { database: { status: 'up' }, redis: { status: 'up' } },
    },
  },
};

@ApiTags('ops')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  @ApiOperation({
    operationId: 'getHealth',
    summary: 'Liveness and readiness: the database, and Redis when configured',
  })
  @ApiOkResponse({ description: 'Every dependency is up', schema: HEALTH_SCHEMA })
  @ApiServiceUnavailableResponse({
    description: 'A dependency is down (same shape, status "error")',
    schema: HEALTH_SCHEMA,
  })
  getHealth() {
    return this.health.check([
      () => this.database.pingCheck('database', { timeout: 1500 }),
      ...(this.redis.configured ? [() => this.redis.check('redis')] : []),
    ]);
  }
}
