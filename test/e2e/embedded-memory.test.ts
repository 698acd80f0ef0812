/**
 * The embedded store fits a small machine: the service as `npm start` runs it
 * (its Node flags, PGlite's settings), restarted on an initialised data
 * directory, creates 10,000 users in batches of 1000 with a peak RSS (VmHWM) of
 * at most 400 MiB. Before the tuning the same test measured 938 MiB (270 after).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openEmbedded } from '../../src/store/pglite.ts';
import { http, startProcess } from '../helpers/process.ts';

const PEAK_LIMIT_MIB = 400;
const peakMiB = (pid: number) => Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024);

describe('embedded store memory', () => {
  it('runs PostgreSQL with small buffers', async () => {
    const db = await openEmbedded({});
    try {
      assert.equal((await db.query<{ shared_buffers: string }>('SHOW shared_buffers')).rows[0]!.shared_buffers, '16MB');
      assert.equal((await db.query<{ maintenance_work_mem: string }>('SHOW maintenance_work_mem')).rows[0]!.maintenance_work_mem, '16MB');
    } finally {
      await db.close();
    }
  });

  it(`creates 10,000 users in batches with the server's peak RSS at most ${PEAK_LIMIT_MIB} MiB`, async () => {
    const env = { DATA_DIR: mkdtempSync(join(tmpdir(), 'muster-memory-')), MUSTER_ADMIN_KEY: `memory-${randomBytes(24).toString('hex')}` };
    await (await startProcess(env, 120_000)).stop(); // the first start runs initdb: measured apart, in the bench
    const service = await startProcess(env, 120_000);
    try {
      for (let batch = 0; batch < 10; batch++) {
        const users = Array.from({ length: 1000 }, (_, i) => ({ username: `m${batch}-${i}`, email: `m${batch}-${i}@example.com`, displayName: `User ${i}` }));
        const response = await http(`${service.url}/v1/directories/default/users/batch`, 'POST', env.MUSTER_ADMIN_KEY, { users });
        assert.equal(response.status, 200);
        assert.equal(response.body.summary.created, 1000);
      }
      const peak = peakMiB(service.process.pid!);
      process.stdout.write(`# embedded server peak RSS over 10,000 users: ${peak} MiB\n`);
      assert.ok(peak <= PEAK_LIMIT_MIB, `peak RSS ${peak} MiB`);
    } finally {
      assert.equal(await service.stop(), 0);
    }
  });
});
