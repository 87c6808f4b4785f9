/**
 * What may be logged of an unexpected error. Database errors carry the SQL text, its parameters
 * and driver messages that quote values (password hashes, token hashes, keys, ciphertext), so for
 * them only the type, the driver code and the stack frames are kept: never the message.
 */
export function loggableError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error };
  const fromDatabase = 'driverError' in error || 'parameters' in error || 'sql' in error || 'sqlMessage' in error;
  const driver = ((error as { driverError?: object }).driverError ?? error) as { code?: unknown; errno?: unknown };
  const frames = error.stack?.split('\n').filter((line) => line.trimStart().startsWith('at ')) ?? [];
  return {
    type: error.constructor.name,
    ...(fromDatabase ? {} : { message: error.message }),
    ...(driver.code !== undefined ? { code: driver.code } : {}),
    ...(driver.errno !== undefined ? { errno: driver.errno } : {}),
    stack: frames.join('\n'),
  };
}
