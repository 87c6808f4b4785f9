// One jest run covers every workspace; each project is one test tier.
// Jest runs in native ESM mode (Nest 12, libsignal-client and @noble/* are ESM-only).
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];

const base = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: {
    '^@pairchat/(crypto|messaging|keys)$': '<rootDir>/libs/$1/src/index.ts',
    '^@pairchat/crypto/native$': '<rootDir>/libs/crypto/src/native/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  rootDir: import.meta.dirname,
};

export default {
  testTimeout: 30_000,
  projects: [
    {
      ...base,
      displayName: 'libs',
      testMatch: ['<rootDir>/libs/*/src/**/*.spec.ts', '<rootDir>/libs/*/test/**/*.spec.ts'],
    },
    { ...base, displayName: 'api-unit', testMatch: ['<rootDir>/apps/api/src/**/*.spec.ts'] },
    {
      ...base,
      displayName: 'api-e2e-sqlite',
      testMatch: ['<rootDir>/apps/api/test/**/*.e2e-spec.ts'],
      setupFiles: ['<rootDir>/apps/api/test/setup-sqlite.ts'],
    },
    {
      ...base,
      displayName: 'api-e2e-mariadb',
      testMatch: ['<rootDir>/apps/api/test/**/*.e2e-spec.ts'],
      setupFiles: ['<rootDir>/apps/api/test/setup-mariadb.ts'],
    },
    // Built api processes (run `npm run build` first; `npm test` does): scaled topology and browser tests.
    { ...base, displayName: 'topology', testMatch: ['<rootDir>/apps/api/test/topology/**/*.topology-spec.ts'] },
    { ...base, displayName: 'web-e2e', testMatch: ['<rootDir>/apps/web/e2e/**/*.e2e.ts'], testTimeout: 120_000 },
  ],
};
