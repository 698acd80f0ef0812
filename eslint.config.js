// Lint: ESLint's and typescript-eslint's recommended rules, the type-aware
// rules that catch real bugs in async server code (floating and misused
// promises), and the architecture's dependency rules (DESIGN.md, "Layout"):
// dependencies point inward, so a change in an outer layer never reaches an
// inner one. test/unit/boundaries.test.ts shows each rule failing a violation.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const DIALECTS = ['native', 'scim', 'gcore', 'huawei', 'alloy', 'royalti', 'console', 'invite'];
/** Packages domain/ may import: pure functions over data, no I/O, no dependencies of their own. */
const PURE_DOMAIN_PACKAGES = ['unhomoglyph'];
const STORE_DRIVERS = ['**/store/pglite.ts', '**/store/postgres.ts', 'pg', '@electric-sql/*'];

/**
 * `no-restricted-imports` for `files`, refusing each rule's `group` with its
 * message. A later config object replaces an earlier one's rule for the same
 * file, so a folder inside another repeats the outer folder's rules.
 */
const boundary = (files, ...rules) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns: rules.map(([group, message]) => ({ group, message })) }] },
});
const HTTP_RULE = [['**/store/**', ...STORE_DRIVERS], 'http/ calls the engine; it never imports the store (transactions belong to the engine\'s unit of work).'];

export default tseslint.config(
  { ignores: ['node_modules/', 'data/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: ['eslint.config.js'] }, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's describe/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }] },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          // The one exception: unhomoglyph, a dependency-free data table (Unicode's confusables) with no I/O.
          patterns: [{ regex: `^(?!\\./|(${PURE_DOMAIN_PACKAGES.join('|')})$)`, message: 'domain/ is pure: it imports only from domain/ (no I/O, no other layer, no package but the pure data tables allowed here).' }],
        },
      ],
    },
  },
  boundary(['src/engine/**/*.ts'], [['**/http/**', '**/cli/**', '**/workers/**', ...STORE_DRIVERS], 'engine/ depends on domain/ and the store port and query layer, never on http/, cli/, workers/ or a store driver (only main.ts picks one).']),
  boundary(['src/http/**/*.ts'], HTTP_RULE),
  boundary(['src/formats/**/*.ts'], [['**/store/**', '**/engine/**', '**/http/**', ...STORE_DRIVERS], 'formats/ turns bytes into drafts; it knows nothing of the store, the engine or HTTP.']),
  ...DIALECTS.map((dialect) => {
    const others = DIALECTS.filter((other) => other !== dialect);
    return boundary(
      [`src/http/${dialect}/**/*.ts`],
      HTTP_RULE,
      [[...others.map((other) => `**/http/${other}/**`), ...others.map((other) => `../${other}/**`)], `A dialect translates to the engine and never imports another dialect (src/http/${dialect}).`],
    );
  }),
  // The console's browser modules (src/http/console/assets): plain ES modules, no build, no type information.
  {
    files: ['src/http/console/assets/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { projectService: false },
      globals: Object.fromEntries(
        ['window', 'document', 'location', 'history', 'navigator', 'fetch', 'URL', 'URLSearchParams', 'Blob', 'EventSource', 'crypto', 'addEventListener', 'removeEventListener', 'setTimeout', 'clearTimeout', 'console'].map((name) => [name, 'readonly']),
      ),
    },
  },
);
