#!/usr/bin/env node
// The model card's figures: signals.svg (2.56 s of simulated accelerometer and gyroscope for three
// activities and a fall, one user) and personalize.svg (per-user accuracy before and after
// on-device personalization, from personalize.json).
//   npm run build && node models/imu/figures.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { chartSvg, imuUser, simulateImuRecording, IMU_FALL } from '../../dist/node.js';

const user = imuUser(2, 16), T = 128, axes = ['x', 'y', 'z'];
const cut = (r, from, c0) => axes.map((a, c) => ({ name: `${c0 ? 'g' : 'a'}${a}`, values: Array.from({ length: T }, (_, k) => r.x[(from + k) * 6 + c0 + c]) }));
const clips = [['walk', simulateImuRecording(user, 'walk', 6, 1), 50], ['run', simulateImuRecording(user, 'run', 6, 1), 50], ['upstairs', simulateImuRecording(user, 'upstairs', 6, 1), 50]];
const fall = simulateImuRecording(user, 'walk', 8, 3, { event: 'fall' });
clips.push(['fall', fall, Math.max(0, fall.labels.indexOf(IMU_FALL) - 40)]);
const panel = (name, r, from, c0) => ({ series: cut(r, from, c0), options: { title: `${name}: ${c0 ? 'gyroscope' : 'accelerometer'}`, xLabel: 'sample (50 Hz)', yLabel: c0 ? 'rad/s' : 'g', width: 300, height: 220 } });
const top = chartSvg(clips.map(([n, r, f]) => panel(n, r, f, 0))), bottom = chartSvg(clips.map(([n, r, f]) => panel(n, r, f, 3)));
const inner = (svg) => svg.replace(/^<svg[^>]*>\n/, '').replace(/<\/svg>\n$/, '');
writeFileSync(new URL('signals.svg', import.meta.url), `<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="440" viewBox="0 0 1200 440">\n${inner(top)}\n<g transform="translate(0,220)">${inner(bottom)}</g>\n</svg>\n`);

const p = JSON.parse(readFileSync(new URL('personalize.json', import.meta.url), 'utf8'));
writeFileSync(new URL('personalize.svg', import.meta.url), chartSvg([{
  series: [{ name: 'before (general model)', values: p.users.map((u) => u.before), dashed: true }, { name: 'after (head fine-tuned)', values: p.users.map((u) => u.after) }],
  options: { title: 'Per-user accuracy: users 24–29 unseen, 30 atypical', xLabel: 'user', xLabels: p.users.map((u) => String(u.user)), yLabel: 'accuracy', width: 560, height: 300 },
}]));
console.log('wrote models/imu/signals.svg, models/imu/personalize.svg');
