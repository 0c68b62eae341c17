// Flat config: the recommended JS and TypeScript rules, nothing stylistic (formatting is not a lint concern here).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'scripts/reference/.venv/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The console's dashboard runs in the browser (plain ES modules, uPlot as a global).
    files: ['services/console/page/**/*.js'],
    languageOptions: {
      globals: Object.fromEntries(
        ['window', 'document', 'location', 'history', 'fetch', 'EventSource', 'URL', 'URLSearchParams', 'requestAnimationFrame', 'devicePixelRatio', 'confirm', 'Option', 'uPlot'].map(
          (name) => [name, 'readonly'],
        ),
      ),
    },
  },
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
);
