import { Readable } from 'node:stream';
import mongoose from 'mongoose';
import { importLeadsCsv } from '../src/dialer/lead-import';
import { bindModels } from '../src/store/models';
import { benchStores, rssMiB } from './support';

/**
 * A 100,000-row defeated-lead CSV (every 500th row broken, 1 % duplicates), streamed into a
 * private FerretDB: rows per second, rejected rows, peak RSS (memory must not grow with the file).
 */
const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);

function* csv(): Generator<string> {
  yield '电话,姓名,等级,战败原因,门店,顾问,最后联系\n';
  for (let i = 0; i < ROWS; i++) {
    if (i % 500 === 499) yield `not-a-phone-${i},坏行,A,,,,\n`;
    else {
      const n = i % 100 === 99 ? i - 1 : i; // a duplicate of the previous number
      yield `1390${String(n).padStart(7, '0')},客户${i},${'ABC'[i % 3]},价格,sh-pudong,gu${i % 7},2026-10-${String((i % 28) + 1).padStart(2, '0')}\n`;
    }
  }
}

async function main(): Promise<void> {
  const stores = await benchStores();
  const conn = await mongoose.createConnection(stores.mongodbUri).asPromise();
  const models = bindModels(conn);
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 200);
  const started = Date.now();
  const report = await importLeadsCsv(models, 'bench', Readable.from(csv()), { consentAll: true });
  const seconds = (Date.now() - started) / 1000;
  clearInterval(sampler);
  console.log(`lead import: ${report.rows} rows in ${seconds.toFixed(1)} s (${(report.rows / seconds).toFixed(0)} rows/s); accepted ${report.accepted}, merged in file ${report.mergedInFile}, rejected ${report.rejectedTotal} (first: line ${report.rejected[0]?.line} ${report.rejected[0]?.reason})`);
  console.log(`leads stored: ${await models.Lead.countDocuments({ listId: 'bench' })}; peak RSS ${(peak / 1048576).toFixed(0)} MiB (now ${rssMiB()} MiB)`);
  await conn.close();
  await stores.stop();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
