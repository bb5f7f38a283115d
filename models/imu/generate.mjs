// Writes the IMU example's SYNTHETIC datasets (src/data/imu_sim.ts: seeded, deterministic) into
// out/imu/data/: 50 Hz, 6 channels, 2.56 s windows with 50 % overlap, split by user.
//   train-x/y.npy   users 0..23, every activity 40 s each     (the classifier's and autoencoder's training data)
//   test-x/y.npy    users 24..29 (unseen), every activity 40 s
//   anomaly-x/y.npy users 24..29: normal windows plus falls (5 per user) and faulty-sensor recordings (3 per user)
//   user-x/y.npy    user 30 (atypical: slow limping gait, device upside down in the pocket), every activity 40 s
// Run after a build: npm run build && node models/imu/generate.mjs [--small]
import { mkdirSync, writeFileSync } from 'node:fs';
import { encodeNpy, imuDataset, imuUser, Tensor, IMU_LABELS } from '../../dist/node.js';

const small = process.argv.includes('--small'), SEED = 16, seconds = small ? 12 : 40;
const dir = new URL('../../out/imu/data/', import.meta.url);
mkdirSync(dir, { recursive: true });
const users = (ids, atypical = false) => ids.map((id) => imuUser(id, SEED, atypical));
const range = (a, b) => Array.from({ length: b - a }, (_, i) => a + i);
const sets = {
  train: imuDataset(users(range(0, 24)), { seconds, seed: SEED }),
  test: imuDataset(users(range(24, 30)), { seconds, seed: SEED }),
  anomaly: imuDataset(users(range(24, 30)), { seconds: small ? 12 : 20, falls: 5, faults: 3, seed: SEED + 1 }),
  user: imuDataset(users([16], true), { seconds, seed: SEED }),
};
for (const [name, d] of Object.entries(sets)) {
  writeFileSync(new URL(`${name}-x.npy`, dir), encodeNpy(d.x));
  writeFileSync(new URL(`${name}-y.npy`, dir), encodeNpy(new Tensor(Uint8Array.from(d.y), [d.y.length])));
  const counts = IMU_LABELS.map((l, i) => [l, d.y.filter((v) => v === i).length]).filter(([, c]) => c);
  console.log(`${name}: x [${d.x.shape}], ${counts.map(([l, c]) => `${l} ${c}`).join(', ')}`);
}
