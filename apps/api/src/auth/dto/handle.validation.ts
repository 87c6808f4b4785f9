import { checkHandle, normalizeHandle } from '@pairchat/messaging';
import { Transform } from 'class-transformer';
import { ValidateBy, type ValidationOptions } from 'class-validator';

const HANDLE_PROBLEM_TEXT = {
  TOO_SHORT: 'must be at least 3 characters',
  TOO_LONG: 'must be at most 32 characters',
  MUST_START_WITH_LETTER: 'must start with a letter',
  INVALID_CHARACTERS: 'may only contain lowercase letters, digits, _ and .',
} as const;

/** Lowercases a string input, as the handle rules require, before it is validated. */
export const NormalizeHandle = () =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? normalizeHandle(value) : value));

/** The shared handle rules (libs/messaging), as a class-validator constraint. */
export function IsHandle(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isHandle',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && checkHandle(value) === null,
        defaultMessage: (args) => {
          const problem = typeof args?.value === 'string' ? checkHandle(args.value) : null;
          return `${args?.property ?? 'handle'} ${problem ? HANDLE_PROBLEM_TEXT[problem] : 'must be a string'}`;
        },
      },
    },
    options,
  );
}
