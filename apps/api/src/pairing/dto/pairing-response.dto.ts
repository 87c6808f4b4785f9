import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type {
  PairDto,
  PairRequestCreateResultDto,
  PairRequestDto,
  PairRequestListDto,
  UserDto,
} from '@pairchat/messaging';
import { UserResponseDto } from '../../users/dto/user-response.dto.js';

const ALICE = { id: '0b6f4a8e-5d7c-4e0b-9a53-1f2e3d4c5b6a', handle: 'alice', createdAt: '2026-11-25T18:00:00.000Z' };
const BOB = { id: '7c2e9d10-1b3a-4c5d-8e6f-0a1b2c3d4e5f', handle: 'bob', createdAt: '2026-11-25T18:05:00.000Z' };
const REQUEST_EXAMPLE = {
  id: '5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d',
  from: ALICE,
  to: BOB,
  status: 'pending',
  createdAt: '2026-11-25T18:10:00.000Z',
};
const PAIR_EXAMPLE = {
  id: '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a',
  user: BOB,
  createdAt: '2026-11-25T18:20:00.000Z',
  blocked: false,
};

export class PairRequestResponseDto implements PairRequestDto {
  @ApiProperty({ description: 'Request id', format: 'uuid', example: REQUEST_EXAMPLE.id })
  id!: string;

  @ApiProperty({ description: 'Who asked', type: UserResponseDto, example: ALICE })
  from!: UserDto;

  @ApiProperty({ description: 'Who is asked', type: UserResponseDto, example: BOB })
  to!: UserDto;

  @ApiProperty({ description: 'Always pending: answered requests disappear', enum: ['pending'], example: 'pending' })
  status!: 'pending';

  @ApiProperty({ description: 'When the request was sent (ISO-8601)', example: REQUEST_EXAMPLE.createdAt })
  createdAt!: string;
}

export class PairResponseDto implements PairDto {
  @ApiProperty({ description: 'Pair id', format: 'uuid', example: PAIR_EXAMPLE.id })
  id!: string;

  @ApiProperty({ description: 'The other person', type: UserResponseDto, example: BOB })
  user!: UserDto;

  @ApiProperty({ description: 'When the pair was made (ISO-8601)', example: PAIR_EXAMPLE.createdAt })
  createdAt!: string;

  @ApiProperty({ description: 'True when I blocked the other person', example: false })
  blocked!: boolean;
}

export class PairRequestCreateResponseDto implements PairRequestCreateResultDto {
  @ApiPropertyOptional({ description: 'The new request', type: PairRequestResponseDto, example: REQUEST_EXAMPLE })
  request?: PairRequestDto;

  @ApiPropertyOptional({
    description: 'The new pair, when the other person had already asked me (their request was accepted)',
    type: PairResponseDto,
    example: PAIR_EXAMPLE,
  })
  pair?: PairDto;
}

export class PairRequestListResponseDto implements PairRequestListDto {
  @ApiProperty({
    description: 'Requests to me, newest first',
    type: PairRequestResponseDto,
    isArray: true,
    example: [REQUEST_EXAMPLE],
  })
  incoming!: PairRequestDto[];

  @ApiProperty({
    description: 'Requests I sent, newest first',
    type: PairRequestResponseDto,
    isArray: true,
    example: [],
  })
  outgoing!: PairRequestDto[];
}
