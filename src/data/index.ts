// Dataset readers, splits and normalization: pure TS (no Node APIs), for every target.
export { parseNpy, encodeNpy, parseNpyHeader, npyHeaderLength, decodeNpyBody, type NpyHeader } from './npy.js';
export { parseIdx, parseIdxHeader, decodeIdxBody, gunzipIfNeeded, isGzip, type IdxHeader } from './idx.js';
export { parseCsv, type CsvOptions, type CsvData } from './csv.js';
export { splitData, shuffleData, permutation, takeRows, dirichletSplit, type SplitOptions, type Split, type Part } from './split.js';
export { Normalizer, fitNormalizer, type NormalizeMethod, type NormalizeOver, type NormalizeOptions, type NormalizerJSON } from './normalize.js';
export { slidingWindows, windowLabels, type WindowOptions, type WindowLabelRule } from './window.js';
export { simulateImuRecording, imuUser, IMU_ACTIVITIES, IMU_LABELS, IMU_CHANNELS, IMU_FALL, IMU_LYING, IMU_FAULTY, type ImuUser, type ImuActivity, type ImuFault, type ImuRecording, type ImuRecordOptions } from './imu_sim.js';
export { imuDataset, type ImuDataset, type ImuDatasetOptions } from './imu_dataset.js';
