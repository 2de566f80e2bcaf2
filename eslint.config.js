// Lint rules. The import boundaries encode STYLE.md rule 1: dependencies point inward, and only
// lib/adapters/** may import the Kubernetes, S3 and Git SDKs; lib/ never imports middy or Lambda types.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const sdkImports = [
  {
    group: ['@kubernetes/client-node', '@kubernetes/*'],
    message: 'Only lib/adapters/** may import the Kubernetes SDK.',
  },
  { group: ['@aws-sdk/*'], message: 'Only lib/adapters/** may import the AWS SDK.' },
  {
    group: ['isomorphic-git', 'isomorphic-git/*'],
    message: 'Only lib/adapters/** may import isomorphic-git.',
  },
];
const runtimeImports = [
  {
    group: ['@middy/*', 'aws-lambda', '@types/aws-lambda'],
    message: 'lib/ knows nothing of Lambda; handlers live in functions/.',
  },
  { group: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs'], message: 'CDK code lives in infra/.' },
  {
    group: ['**/functions/*', '**/infra/*', '**/bin/*', '**/devenv/*', '**/test/*', '**/bench/*'],
    message: 'lib/ must not import outer layers.',
  },
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'cdk.out/**',
      'tools/**',
      'coverage/**',
      'test/fixtures/**',
      'ui/dist/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'CallExpression[callee.property.name="only"][callee.object.name=/^(it|describe|test)$/]',
          message: 'No .only in committed tests.',
        },
        {
          selector: 'CallExpression[callee.property.name="skip"][callee.object.name=/^(it|describe|test)$/]',
          message: 'No .skip in committed tests.',
        },
      ],
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    // The web UI's browser modules (lib/webui/webui-assets.ts serves them).
    files: ['webui/**/*.js'],
    languageOptions: {
      globals: {
        window: 'readonly',
        document: 'readonly',
        location: 'readonly',
        fetch: 'readonly',
        FormData: 'readonly',
        EventSource: 'readonly',
        addEventListener: 'readonly',
        removeEventListener: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
  },
  {
    files: ['lib/**/*.ts'],
    ignores: ['lib/adapters/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...sdkImports, ...runtimeImports] }],
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'lib/ takes configuration as arguments; read process.env in the composition root.',
        },
      ],
    },
  },
  {
    files: ['lib/adapters/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: runtimeImports }] },
  },
  {
    files: ['functions/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...sdkImports,
            { group: ['aws-cdk-lib', 'aws-cdk-lib/*'], message: 'CDK code lives in infra/.' },
          ],
        },
      ],
    },
  },
);
