/**
 * The architecture's dependency rules (eslint.config.js) fail the lint, and
 * so the test command, when broken: each case lints a deliberate violation
 * as if it were a file of the layer it breaks, and one allowed import beside it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname });

async function restrictedImports(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const CASES: { layer: string; file: string; violation: string; allowed: string }[] = [
  { layer: 'domain imports outside domain/', file: 'src/domain/user.ts', violation: "import { newId } from '../crypto/ids.ts';", allowed: "import { MusterError } from './errors.ts';" },
  { layer: 'domain imports a package', file: 'src/domain/user.ts', violation: "import { createHash } from 'node:crypto';", allowed: "import { MusterError } from './errors.ts';" },
  { layer: 'engine imports http', file: 'src/engine/users.ts', violation: "import { buildApp } from '../http/app.ts';", allowed: "import * as repo from '../store/repositories/users.ts';" },
  { layer: 'engine imports a store driver', file: 'src/engine/users.ts', violation: "import { openEmbedded } from '../store/pglite.ts';", allowed: "import type { Queryable } from '../store/ports.ts';" },
  { layer: 'engine imports workers', file: 'src/engine/users.ts', violation: "import { sweepOnce } from '../workers/retentionSweeper.ts';", allowed: "import { MusterError } from '../domain/errors.ts';" },
  { layer: 'http imports the store', file: 'src/http/errors.ts', violation: "import { databaseErrorInfo } from '../store/ports.ts';", allowed: "import type { Engine } from '../engine/engine.ts';" },
  { layer: 'a dialect imports the store', file: 'src/http/gcore/index.ts', violation: "import * as repo from '../../store/repositories/users.ts';", allowed: "import type { Engine } from '../../engine/engine.ts';" },
  { layer: 'a dialect imports another', file: 'src/http/gcore/index.ts', violation: "import { renderUser } from '../huawei/translate.ts';", allowed: "import { useErrorShape } from '../errors.ts';" },
];

describe('dependency rules (lint)', () => {
  for (const { layer, file, violation, allowed } of CASES) {
    it(`fails when ${layer}`, async () => {
      const messages = await restrictedImports(file, `${violation}\n${allowed}\nexport {};\n`);
      assert.equal(messages.length, 1, `expected exactly the violation to be reported, got: ${messages.join(' | ')}`);
    });
  }

});
