// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Folders and what each may not import (see ../shared/DESIGN.md, "Dependency direction"). */
const layers = {
  'src/lib/**': [
    '**/k8s/**',
    '**/store/**',
    '**/api/**',
    '**/client/**',
    '**/kubelet/**',
    '**/runtime/**',
    '**/network/**',
    '**/controllers/**',
    '**/daemon/**',
    '**/cli/**',
  ],
  'src/k8s/**': [
    '**/store/**',
    '**/api/**',
    '**/client/**',
    '**/kubelet/**',
    '**/runtime/**',
    '**/network/**',
    '**/controllers/**',
    '**/daemon/**',
    '**/cli/**',
  ],
  'src/store/**': [
    '**/api/**',
    '**/client/**',
    '**/kubelet/**',
    '**/runtime/**',
    '**/network/**',
    '**/controllers/**',
    '**/daemon/**',
    '**/cli/**',
  ],
  'src/api/**': ['**/client/**', '**/kubelet/**', '**/controllers/**', '**/daemon/**', '**/cli/**'],
  'src/client/**': [
    '**/store/**',
    '**/api/**',
    '**/kubelet/**',
    '**/runtime/**',
    '**/network/**',
    '**/controllers/**',
    '**/daemon/**',
    '**/cli/**',
  ],
  'src/controllers/**': ['**/store/**', '**/api/**', '**/kubelet/**', '**/daemon/**', '**/cli/**'],
  'src/kubelet/**': ['**/store/**', '**/api/**', '**/controllers/**', '**/daemon/**', '**/cli/**'],
  'src/runtime/**': [
    '**/store/**',
    '**/api/**',
    '**/client/**',
    '**/kubelet/**',
    '**/controllers/**',
    '**/daemon/**',
    '**/cli/**',
  ],
  'src/network/**': [
    '**/store/**',
    '**/api/**',
    '**/client/**',
    '**/kubelet/**',
    '**/controllers/**',
    '**/daemon/**',
    '**/cli/**',
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'generated/', 'bin/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-dynamic-delete': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-confusing-void-expression': 'off',
      '@typescript-eslint/no-unnecessary-type-parameters': 'off',
      '@typescript-eslint/no-extraneous-class': 'off',
      'no-console': 'error',
    },
  },
  ...Object.entries(layers).map(([dir, forbidden]) => ({
    files: [dir],
    ignores: ['**/*.test.ts', '**/testing/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: forbidden.map((group) => ({
            group: [group],
            message: 'Dependency direction: see DESIGN.md',
          })),
        },
      ],
    },
  })),
  {
    files: ['src/lib/log.ts', 'src/cli/**', 'scripts/**', 'bench/**', 'test/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.test.ts', 'test/**', '**/testing/**'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', URL: 'readonly', console: 'readonly' } },
  },
);
