// The real-data floor of FD_cls at the Fashion run's sample count (n = 5000): FD_cls of 3 disjoint samples of 5000
// fashion14 train images (not in the reference statistics), floor seed 0 (the `eval` default). fashion.sh evaluates
// with --floor-draws 0, so its records carry no floor; this reports it beside them (no criterion uses it).
//   TENSORFIELD_NUM_THREADS=1 node scripts/diffusion-blocks/fashion-floor.js [out.json]
'use strict';
const fs = require('fs');
const { openDataSource } = require('../../dist/data/sources');
const { fashionRealFloorAsync } = require('../../dist/metrics/fashion');
(async () => {
  const n = 5000, draws = 3, seed = 0;
  const src = openDataSource('fashion14');
  const pool = src.floorPool();
  const t0 = Date.now();
  const f = await fashionRealFloorAsync((pos) => pool.take(pos), pool.count, n, { draws, seed });
  const out = { data: 'fashion14', dataset: src.dataset, pool: pool.count, excluded: pool.excluded, floorSeed: seed, ...f,
    seconds: (Date.now() - t0) / 1000, date: new Date().toISOString() };
  console.log(JSON.stringify(out, null, 1));
  if (process.argv[2]) fs.writeFileSync(process.argv[2], JSON.stringify(out, null, 1) + '\n');
})().catch((e) => { console.error(e); process.exit(1); });
