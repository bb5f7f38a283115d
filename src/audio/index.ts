// Audio on the host: WAV files in and out, clip fitting, and streaming keyword spotting.
export { decodeWav, encodeWav, resample, fitClip, wavToClip, type PcmClip } from './wav.js';
export { AudioStream, type StreamOptions, type Detection } from './stream.js';
