/**
 * The console's files, read once at start: the page (index.html with the
 * import map inlined), everything under `assets/`, and the pinned libraries
 * from node_modules under `vendor/`. No build step: the browser loads the
 * modules as they are; the import map names the libraries' own ES module files.
 *
 * The Content-Security-Policy admits scripts from this origin plus the one
 * inline import map (by its SHA-256), styles from this origin only, and
 * connections to this origin only: nothing from elsewhere can run or load.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, extname, join, relative } from 'node:path';

export interface ConsoleAsset {
  readonly type: string;
  readonly body: Buffer;
}

export interface ConsoleAssets {
  /** The HTML document served for every /console path. */
  readonly page: string;
  /** By path under /console/: `assets/app.js`, `vendor/preact.mjs`. */
  readonly files: ReadonlyMap<string, ConsoleAsset>;
  /** Security headers for every console response. */
  readonly headers: Readonly<Record<string, string>>;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.html': 'text/html; charset=utf-8',
};

/** The libraries, each a module file of an npm package pinned in package.json, by the name the import map gives it. */
const VENDOR: Record<string, { module: string; file?: string }> = {
  'preact.mjs': { module: 'preact' },
  'preact-hooks.mjs': { module: 'preact/hooks' },
  'htm.mjs': { module: 'htm' },
  // Papa Parse ships no ES module; its UMD build, loaded as a classic script, sets `window.Papa`.
  'papaparse.min.js': { module: 'papaparse', file: 'papaparse.min.js' },
};

const IMPORT_MAP = JSON.stringify({
  imports: { preact: '/console/vendor/preact.mjs', 'preact/hooks': '/console/vendor/preact-hooks.mjs', htm: '/console/vendor/htm.mjs' },
});

const ASSETS_DIR = fileURLToPath(new URL('./assets/', import.meta.url));

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

function vendorFile(spec: { module: string; file?: string }): string {
  const resolved = fileURLToPath(import.meta.resolve(spec.module));
  return spec.file === undefined ? resolved : join(dirname(resolved), spec.file);
}

export function loadConsoleAssets(): ConsoleAssets {
  const files = new Map<string, ConsoleAsset>();
  for (const path of walk(ASSETS_DIR)) {
    const type = TYPES[extname(path)];
    if (type && !path.endsWith('index.html')) files.set(`assets/${relative(ASSETS_DIR, path).split('\\').join('/')}`, { type, body: readFileSync(path) });
  }
  for (const [name, spec] of Object.entries(VENDOR)) files.set(`vendor/${name}`, { type: TYPES[extname(name)]!, body: readFileSync(vendorFile(spec)) });

  const importMapHash = createHash('sha256').update(IMPORT_MAP, 'utf8').digest('base64');
  const page = readFileSync(join(ASSETS_DIR, 'index.html'), 'utf8').replace('<!--importmap-->', `<script type="importmap">${IMPORT_MAP}</script>`);
  const csp = [
    "default-src 'none'",
    `script-src 'self' 'sha256-${importMapHash}'`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    page,
    files,
    headers: {
      'content-security-policy': csp,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
    },
  };
}
