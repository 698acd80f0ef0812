import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
const st = (f: string) => Math.round(Number(new RegExp(`${f}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024);
const pg = new PGlite(process.argv[2]!, { startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'] });
await pg.waitReady;
await pg.exec('CREATE TABLE IF NOT EXISTS t (id int primary key, a text unique, b text, c text)');
const n0 = Number((await pg.query<{ n: number }>('SELECT count(*)::int AS n FROM t')).rows[0]!.n);
const t1 = performance.now();
for (let s = 0; s < 100000; s += 1000) {
  const ids = [], a = [];
  for (let i = s; i < s + 1000; i++) { ids.push(n0 + i); a.push('x'.repeat(40) + (n0 + i)); }
  await pg.query('INSERT INTO t SELECT id, a, a, a FROM unnest($1::int[], $2::text[]) AS u(id, a) RETURNING *', [ids, a]);
}
console.log(JSON.stringify({ flags: process.execArgv, insertMs: Math.round(performance.now() - t1), endHwm: st('VmHWM') }));
await pg.close();
