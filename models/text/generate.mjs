// Generates the text example's data, deterministically (seeded; no outside source): SYNTHETIC
// smart-home / assistant commands in 10 intents, and a WordPiece tokenizer.json built from them.
//   intents.tsv     "intent<TAB>utterance" per line, unique utterances, shuffled
//   tokenizer.json  a Hugging Face tokenizer.json: BERT normalizer (lowercase, accents stripped),
//                   BERT pre-tokenizer, WordPiece model, [CLS] … [SEP] template, WordPiece decoder
// Each intent has several phrasings (commands, questions, indirect requests), filled with slots
// (rooms, devices, numbers, times, artists, cities, items, contacts), wrapped in optional openers
// ("hey axon", and before commands "could you", "please") and closers ("thanks", "right away"),
// and about 8 % of utterances get one
// typo (a dropped, doubled or swapped letter) so that subword pieces matter. Intents share words
// on purpose ("turn up" the volume / the heating, "set" a timer / the temperature, "turn off" the
// lights / the music), so no single word gives the class away.
// Run: node models/text/generate.mjs   (no build needed; prints counts and the vocabulary size)
import { writeFileSync } from 'node:fs';

const SEED = 20240615, PER_INTENT = 330, TYPO_RATE = 0.08;

// ── a small seeded PRNG (mulberry32) so the script needs nothing but Node ──
let state = SEED >>> 0;
const rand = () => { state = (state + 0x6d2b79f5) >>> 0; let t = state; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
const pick = (a) => a[Math.floor(rand() * a.length)];
const maybe = (p, s) => (rand() < p ? s : '');

const ROOMS = ['kitchen', 'living room', 'bedroom', 'bathroom', 'hallway', 'office', 'garage', 'dining room', 'kids room', 'basement', 'porch', 'upstairs', 'downstairs'];
const LIGHTS = ['lights', 'light', 'lamp', 'lamps', 'ceiling light', 'floor lamp', 'reading light', 'led strip', 'bulbs'];
const ARTISTS = ['the beatles', 'taylor swift', 'miles davis', 'daft punk', 'adele', 'bob marley', 'beyonce', 'radiohead', 'mozart', 'queen', 'coldplay', 'nina simone', 'the rolling stones', 'bach'];
const GENRES = ['jazz', 'rock', 'classical music', 'lofi', 'hip hop', 'country', 'some pop', 'reggae', 'blues', 'ambient music', 'something relaxing', 'workout music'];
const CITIES = ['paris', 'london', 'berlin', 'tokyo', 'new york', 'madrid', 'chicago', 'sydney', 'lisbon', 'toronto', 'rome', 'seattle', 'cairo', 'oslo'];
const DAYS = ['today', 'tomorrow', 'tonight', 'this weekend', 'on monday', 'on friday', 'this afternoon', 'tomorrow morning', 'next week'];
const ITEMS = ['milk', 'eggs', 'bread', 'coffee', 'bananas', 'olive oil', 'toilet paper', 'rice', 'tomatoes', 'cheese', 'dish soap', 'apples', 'butter', 'pasta', 'orange juice', 'batteries'];
const CONTACTS = ['mom', 'dad', 'my sister', 'my brother', 'grandma', 'alex', 'sarah', 'the office', 'doctor lee', 'john', 'maria', 'my wife', 'my husband', 'the plumber'];
const DOORS = ['front door', 'back door', 'garage door', 'side door', 'patio door', 'door'];
const NUM = () => String(pick([1, 2, 3, 5, 10, 12, 15, 20, 25, 30, 40, 45, 60, 90]));
const TEMP = () => String(16 + Math.floor(rand() * 12));
const TIME = () => pick([`${1 + Math.floor(rand() * 12)} ${pick(['am', 'pm'])}`, `${1 + Math.floor(rand() * 12)}:${pick(['00', '15', '30', '45'])}`, 'noon', 'midnight', `half past ${1 + Math.floor(rand() * 12)}`]);
const room = () => pick(['the ', 'the ', '']) + pick(ROOMS);
const inRoom = () => pick(['', '', ` in the ${pick(ROOMS)}`, ` in ${pick(ROOMS)}`]);

const T = {
  lights_on: [
    () => `turn on the ${pick(LIGHTS)}${inRoom()}`, () => `switch on ${room()} ${pick(LIGHTS)}`, () => `turn the ${pick(LIGHTS)} on${inRoom()}`,
    () => `lights on${inRoom()}`, () => `it is too dark${inRoom()}`, () => `i can't see anything${inRoom()}`, () => `brighten ${room()}`,
    () => `can we get some light${inRoom()}`, () => `light up ${room()}`, () => `put the ${pick(LIGHTS)} on`, () => `make it brighter${inRoom()}`,
    () => `power on the ${pick(ROOMS)} ${pick(LIGHTS)}`, () => `i need more light${inRoom()}`,
  ],
  lights_off: [
    () => `turn off the ${pick(LIGHTS)}${inRoom()}`, () => `switch off ${room()} ${pick(LIGHTS)}`, () => `turn the ${pick(LIGHTS)} off${inRoom()}`,
    () => `lights off${inRoom()}`, () => `it is too bright${inRoom()}`, () => `kill the ${pick(LIGHTS)}`, () => `darken ${room()}`,
    () => `no more light${inRoom()}`, () => `shut off the ${pick(LIGHTS)}${inRoom()}`, () => `put the ${pick(LIGHTS)} out`, () => `make it darker${inRoom()}`,
    () => `power down the ${pick(ROOMS)} ${pick(LIGHTS)}`, () => `i'm going to sleep, lights out`,
  ],
  set_temperature: [
    () => `set the temperature to ${TEMP()} degrees`, () => `turn the heating up`, () => `turn down the heat${inRoom()}`, () => `make it warmer${inRoom()}`,
    () => `it's freezing${inRoom()}`, () => `i'm too hot`, () => `set the thermostat to ${TEMP()}`, () => `cool ${room()} down`,
    () => `raise the temperature by ${pick([1, 2, 3])} degrees`, () => `lower the thermostat`, () => `turn on the air conditioning${inRoom()}`,
    () => `heat ${room()} to ${TEMP()} degrees`, () => `can you make it cooler in here`, () => `it is way too cold${inRoom()}`,
  ],
  play_music: [
    () => `play ${pick(ARTISTS)}`, () => `play some ${pick(GENRES)}`, () => `put on ${pick(GENRES)}${inRoom()}`, () => `i want to listen to ${pick(ARTISTS)}`,
    () => `start my ${pick(['morning', 'running', 'dinner', 'party', 'focus'])} playlist`, () => `turn on the music${inRoom()}`, () => `play the latest album by ${pick(ARTISTS)}`,
    () => `shuffle songs by ${pick(ARTISTS)}`, () => `music please`, () => `resume the music`, () => `play ${pick(GENRES)} on the ${pick(['speaker', 'kitchen speaker', 'stereo', 'tv'])}`,
    () => `can you play something by ${pick(ARTISTS)}`, () => `next song`, () => `skip this track`,
  ],
  volume: [
    () => `turn it up`, () => `turn the volume up`, () => `turn down the volume`, () => `louder`, () => `quieter please`, () => `it's too loud`,
    () => `set the volume to ${pick([10, 20, 30, 40, 50, 60, 70, 80])} percent`, () => `mute the ${pick(['speaker', 'tv', 'music', 'sound'])}`, () => `unmute`,
    () => `i can't hear the ${pick(['music', 'tv', 'radio'])}`, () => `volume down a bit`, () => `make the ${pick(['music', 'tv', 'speaker'])} louder`,
    () => `lower the sound${inRoom()}`, () => `pump up the volume`,
  ],
  set_timer: [
    () => `set a timer for ${NUM()} minutes`, () => `wake me up at ${TIME()}`, () => `set an alarm for ${TIME()}`, () => `remind me in ${NUM()} minutes`,
    () => `start a ${NUM()} minute timer`, () => `countdown ${NUM()} seconds`, () => `alarm at ${TIME()} ${pick(DAYS)}`, () => `timer ${NUM()} minutes for the ${pick(['pasta', 'eggs', 'oven', 'laundry', 'tea'])}`,
    () => `set the alarm for ${TIME()}`, () => `i need to get up at ${TIME()}`, () => `how much time is left on my timer`, () => `cancel my alarm`, () => `stop the timer`,
  ],
  weather: [
    () => `what's the weather ${pick(DAYS)}`, () => `what is the weather like in ${pick(CITIES)}`, () => `will it rain ${pick(DAYS)}`, () => `do i need an umbrella ${pick(DAYS)}`,
    () => `how hot will it be in ${pick(CITIES)} ${pick(DAYS)}`, () => `is it going to snow ${pick(DAYS)}`, () => `forecast for ${pick(CITIES)}`, () => `how cold is it outside`,
    () => `should i wear a jacket ${pick(DAYS)}`, () => `temperature outside in ${pick(CITIES)}`, () => `is it sunny in ${pick(CITIES)}`, () => `what's it like outside`, () => `any storms coming ${pick(DAYS)}`,
  ],
  shopping_list: [
    () => `add ${pick(ITEMS)} to my shopping list`, () => `put ${pick(ITEMS)} on the list`, () => `we're out of ${pick(ITEMS)}`, () => `remember to buy ${pick(ITEMS)}`,
    () => `add ${pick(ITEMS)} and ${pick(ITEMS)} to the grocery list`, () => `i need to buy ${pick(ITEMS)}`, () => `what's on my shopping list`, () => `remove ${pick(ITEMS)} from the list`,
    () => `we need more ${pick(ITEMS)}`, () => `shopping list add ${pick(ITEMS)}`, () => `don't let me forget the ${pick(ITEMS)}`, () => `read me the grocery list`, () => `clear the shopping list`,
  ],
  lock_door: [
    () => `lock the ${pick(DOORS)}`, () => `unlock the ${pick(DOORS)}`, () => `is the ${pick(DOORS)} locked`, () => `did i lock the ${pick(DOORS)}`,
    () => `secure the house`, () => `lock up for the night`, () => `make sure the ${pick(DOORS)} is locked`, () => `open the ${pick(DOORS)} for ${pick(CONTACTS)}`,
    () => `let ${pick(CONTACTS)} in`, () => `lock all the doors`, () => `close the ${pick(['garage', 'garage door', 'gate'])}`, () => `arm the alarm system`, () => `check the locks`,
  ],
  call_contact: [
    () => `call ${pick(CONTACTS)}`, () => `phone ${pick(CONTACTS)}`, () => `ring ${pick(CONTACTS)}`, () => `dial ${pick(CONTACTS)}`, () => `i want to talk to ${pick(CONTACTS)}`,
    () => `get ${pick(CONTACTS)} on the phone`, () => `video call ${pick(CONTACTS)}`, () => `call ${pick(CONTACTS)} on speaker`, () => `give ${pick(CONTACTS)} a call`,
    () => `can you call ${pick(CONTACTS)} for me`, () => `start a call with ${pick(CONTACTS)}`, () => `facetime ${pick(CONTACTS)}`, () => `call back ${pick(CONTACTS)}`,
  ],
};
const CALLS = ['hey axon ', 'axon, ', 'ok axon ', 'hey, ', 'um ', 'so ', 'ok '];            // before anything
const ASKS = ['please ', 'could you ', 'can you ', 'would you ', 'i would like you to ', 'go ahead and ']; // before a command only
const VERBS = new Set('turn switch put brighten light make power kill darken shut set cool raise lower heat play start shuffle resume mute unmute pump wake remind add remember remove read clear lock unlock secure open let close arm check call phone ring dial get give facetime stop cancel skip countdown'.split(' '));
const CLOSERS = [' please', ' thanks', ' thank you', ' now', ' right away', ' for me', ' asap', '!', '?', '.'];

function typo(s) {
  const words = s.split(' '), i = Math.floor(rand() * words.length), w = words[i];
  if (w.length < 4) return s;
  const k = 1 + Math.floor(rand() * (w.length - 2)), kind = Math.floor(rand() * 3);
  words[i] = kind === 0 ? w.slice(0, k) + w.slice(k + 1) : kind === 1 ? w.slice(0, k) + w[k] + w.slice(k) : w.slice(0, k) + w[k + 1] + w[k] + w.slice(k + 2);
  return words.join(' ');
}

function utterance(intent) {
  let s = pick(T[intent])();
  const ask = VERBS.has(s.split(' ')[0]) ? maybe(0.25, pick(ASKS)) : '';
  const open = maybe(0.15, pick(CALLS)) + ask, close = maybe(0.3, pick(CLOSERS));
  s = open + s + close;
  if (rand() < TYPO_RATE) s = typo(s);
  if (rand() < 0.15) s = s[0].toUpperCase() + s.slice(1);
  if (rand() < 0.03) s = s.toUpperCase();
  return s.replace(/\s+/g, ' ').trim();
}

// ── the dataset: PER_INTENT unique utterances per intent (an utterance two intents could produce is dropped) ──
const owner = new Map();
for (const intent of Object.keys(T)) {
  let made = 0;
  for (let tries = 0; made < PER_INTENT && tries < PER_INTENT * 50; tries++) {
    const u = utterance(intent), key = u.toLowerCase();
    if (owner.has(key)) { if (owner.get(key).intent !== intent) owner.get(key).clash = true; continue; }
    owner.set(key, { intent, text: u });
    made++;
  }
}
const rows = [...owner.values()].filter((r) => !r.clash);
for (let i = rows.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [rows[i], rows[j]] = [rows[j], rows[i]]; }
const dir = new URL('.', import.meta.url);
writeFileSync(new URL('intents.tsv', dir), rows.map((r) => `${r.intent}\t${r.text}`).join('\n') + '\n');

// ── the WordPiece vocabulary, from the utterances as the tokenizer's normalizer and pre-tokenizer see them ──
// (lowercase, accents stripped; words split at whitespace and punctuation). Vocabulary: the special
// tokens, every character alone and as a "##" continuation, every word seen at least MIN_WORD
// times, and word beginnings / "##" endings of 2–4 letters seen at least MIN_PIECE times (so rare
// and misspelled words split into pieces instead of [UNK]).
const MIN_WORD = 3, MIN_PIECE = 12;
const words = rows.flatMap((r) => r.text.toLowerCase().normalize('NFD').replace(/\p{M}/gu, '').split(/\s+|(?=[\p{P}\p{S}])|(?<=[\p{P}\p{S}])/u).filter(Boolean));
const count = (list) => { const m = new Map(); for (const w of list) m.set(w, (m.get(w) ?? 0) + 1); return m; };
const wordCounts = count(words);
const chars = [...new Set(words.join(''))].sort();
const pieces = count(words.flatMap((w) => [2, 3, 4].filter((n) => w.length > n).flatMap((n) => [w.slice(0, n), `##${w.slice(-n)}`])));
const SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const byCount = (m, min) => [...m].filter(([, c]) => c >= min).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([w]) => w);
const vocabList = [...new Set([...SPECIAL, ...chars, ...chars.map((c) => `##${c}`), ...byCount(wordCounts, MIN_WORD), ...byCount(pieces, MIN_PIECE)])];
const vocab = Object.fromEntries(vocabList.map((t, i) => [t, i]));
const special = (t) => ({ SpecialToken: { id: t, type_id: 0 } });
const tokenizer = {
  version: '1.0', truncation: null, padding: null,
  added_tokens: SPECIAL.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
  normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
  pre_tokenizer: { type: 'BertPreTokenizer' },
  post_processor: {
    type: 'TemplateProcessing',
    single: [special('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, special('[SEP]')],
    pair: [special('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, special('[SEP]'), { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } }],
    special_tokens: { '[CLS]': { id: '[CLS]', ids: [vocab['[CLS]']], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [vocab['[SEP]']], tokens: ['[SEP]'] } },
  },
  decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
  model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
};
writeFileSync(new URL('tokenizer.json', dir), JSON.stringify(tokenizer, null, 1) + '\n');
const perIntent = Object.keys(T).map((k) => `${k} ${rows.filter((r) => r.intent === k).length}`).join(', ');
console.log(`intents.tsv: ${rows.length} utterances (${perIntent}); tokenizer.json: ${vocabList.length} tokens`);
