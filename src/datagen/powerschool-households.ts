/**
 * Households and guardians. Siblings (consecutive students) share one household, so the same
 * PERSON is a contact of several students, as in a real district.
 */
import {
  CITIES, EMAIL_TYPE_CODES, LANGUAGE_CODES, PHONE_TYPE_CODES, RELATIONSHIP_CODES, STATE_CODES, STREETS,
} from './powerschool-catalog.js';
import { drawName, drawNameKind, type NameOptions, type PersonName } from './name-pools.js';
import { asciiSlug } from './powerschool-plan.js';
import { Prng, type SeedPart } from './prng.js';

export interface Address {
  street: string;
  city: string;
  state: keyof typeof STATE_CODES;
  zip: string;
}

export interface Phone {
  typeCode: number;
  digits: string;
  asEntered: string;
  ext: string | null;
}

export interface GuardianCore {
  /** Position in the household (0–3). */
  k: number;
  name: PersonName;
  relationship: keyof typeof RELATIONSHIP_CODES;
  personActive: boolean;
  /** studentcontactdetail.isactive for every student of the household. */
  detailActive: boolean;
  /** A second, ended detail row (inactive) exists as history. */
  historyDetail: boolean;
  custodial: boolean;
  emergency: boolean;
  livesWith: boolean;
  pickup: boolean;
  receivesMail: boolean;
  languageCode: keyof typeof LANGUAGE_CODES | null;
}

export interface GuardianAddresses {
  /** Lives apart from the household (own address, no shared home phone). */
  separate: boolean;
  address: Address;
  /** A second (mailing) address assoc. */
  mailingAddress: Address | null;
}

export interface Guardian extends GuardianCore, GuardianAddresses {
  phones: Phone[];
  emails: { address: string; typeCode: number }[];
}

export interface HouseholdBase {
  index: number;
  familyName: PersonName;
  address: Address;
  homePhone: Phone;
  guardianCount: number;
  firstParent: 'Mother' | 'Father';
}

/** Student `i` shares the household of `i - 1` when flagged (never chains beyond one step). */
export function isSiblingOfPrevious(seed: SeedPart, index: number): boolean {
  if (index === 0) return false;
  const own = Prng.for(seed, 'family', index).chance(0.12);
  if (!own) return false;
  return !Prng.for(seed, 'family', index - 1).chance(0.12);
}

export function householdOf(seed: SeedPart, index: number): number {
  return isSiblingOfPrevious(seed, index) ? index - 1 : index;
}

function drawAddress(rng: Prng): Address {
  let street = `${rng.int(1, 9999)} ${rng.pick(STREETS)}`;
  // "Apt" after a comma puts a comma inside the field.
  if (rng.chance(0.1)) street += `, Apt ${rng.int(1, 40)}`;
  const city = rng.pick(CITIES);
  const state = rng.weighted<keyof typeof STATE_CODES>(STATE_WEIGHTS);
  const zip = state === 'IL' ? `600${rng.int(10, 99)}` : state === 'WI' ? `531${rng.int(10, 99)}` : `463${rng.int(10, 99)}`;
  return { street, city, state, zip };
}

const STATE_WEIGHTS: readonly (readonly [keyof typeof STATE_CODES, number])[] = [['IL', 0.95], ['WI', 0.04], ['IN', 0.01]];
const COUNT_WEIGHTS: readonly (readonly [number, number])[] = [[0, 0.05], [1, 0.2], [2, 0.55], [3, 0.15], [4, 0.05]];
const LANGUAGE_WEIGHTS: readonly (readonly [keyof typeof LANGUAGE_CODES | null, number])[] = [
  ['en', 0.72], ['es', 0.15], ['pl', 0.03], ['vi', 0.015], ['ar', 0.015], ['zh', 0.01], ['ur', 0.01], [null, 0.05],
];
const AREA_CODES = ['847', '224', '815'];

function drawPhone(rng: Prng, typeCode: number): Phone {
  const area = rng.pick(AREA_CODES);
  const line = rng.digits(4);
  return { typeCode, digits: `${area}555${line}`, asEntered: `${area}-555-${line}`, ext: null };
}

const EMAIL_DOMAINS = ['example.com', 'example.net', 'example.org'];

/** Family name, address, home phone and guardian count (no guardian details). */
export function householdBase(seed: SeedPart, index: number, names: NameOptions): HouseholdBase {
  const rng = Prng.for(seed, 'household', index);
  const familyKind = drawNameKind(rng, { ...names, testRate: 0 });
  const familyName = drawName(rng, familyKind, names);
  const address = drawAddress(rng);
  const homePhone = drawPhone(rng, PHONE_TYPE_CODES.Home);
  const guardianCount = rng.weighted<number>(COUNT_WEIGHTS);
  const firstParent = rng.chance(0.6) ? 'Mother' : 'Father';
  return { index, familyName, address, homePhone, guardianCount, firstParent };
}

export function guardianCore(seed: SeedPart, base: HouseholdBase, k: number, names: NameOptions): GuardianCore {
  const g = Prng.for(seed, 'guardian', base.index, k);
  const first = base.firstParent;
  const relationship: GuardianCore['relationship'] = k === 0
    ? first
    : k === 1
      ? g.weighted<GuardianCore['relationship']>([[first === 'Mother' ? 'Father' : 'Mother', 0.8], [first === 'Mother' ? 'Stepfather' : 'Stepmother', 0.2]])
      : g.pick<GuardianCore['relationship']>(['Grandmother', 'Grandfather', 'Aunt', 'Uncle', 'Guardian', 'Other']);
  const kind = drawNameKind(g, { ...names, testRate: 0 });
  const sameLast = g.chance(0.8);
  const name = drawName(g, kind, names, sameLast ? base.familyName.last : undefined);
  const parent = k <= 1;
  const separateFromAddresses = k === 1 && Prng.for(seed, 'guardian-address', base.index, k).chance(0.15);
  return {
    k,
    name,
    relationship,
    personActive: g.chance(0.98),
    detailActive: g.chance(parent ? 0.96 : 0.85),
    historyDetail: g.chance(0.03),
    custodial: parent ? g.chance(0.95) : relationship === 'Guardian',
    emergency: parent ? g.chance(0.9) : g.chance(0.6),
    livesWith: !separateFromAddresses && (parent || g.chance(0.2)),
    pickup: g.chance(0.7),
    receivesMail: parent ? g.chance(0.9) : g.chance(0.2),
    languageCode: g.weighted(LANGUAGE_WEIGHTS),
  };
}

export function guardianAddresses(seed: SeedPart, base: HouseholdBase, k: number): GuardianAddresses {
  const g = Prng.for(seed, 'guardian-address', base.index, k);
  // First draw: the same one guardianCore reads for livesWith.
  const separate = g.chance(0.15) && k === 1;
  const own = drawAddress(g);
  const mailing = g.chance(0.05) ? drawAddress(g) : null;
  return { separate, address: separate ? own : base.address, mailingAddress: mailing };
}

export function guardianPhones(seed: SeedPart, base: HouseholdBase, k: number, separate: boolean): Phone[] {
  const g = Prng.for(seed, 'guardian-phone', base.index, k);
  const phones: Phone[] = [];
  const mobile = drawPhone(g, PHONE_TYPE_CODES.Mobile);
  const work = drawPhone(g, PHONE_TYPE_CODES.Work);
  if (g.chance(0.85)) phones.push(mobile);
  if (g.chance(0.4) && !separate) phones.push({ ...base.homePhone });
  if (g.chance(0.35)) {
    if (g.chance(0.2)) work.ext = String(g.int(100, 9999));
    phones.push(work);
  }
  return phones;
}

export function guardianEmails(seed: SeedPart, base: HouseholdBase, core: GuardianCore): Guardian['emails'] {
  const g = Prng.for(seed, 'guardian-email', base.index, core.k);
  const emails: Guardian['emails'] = [];
  const slug = `${asciiSlug(core.name.first)}.${asciiSlug(core.name.last)}${g.int(1, 99)}`;
  const domain = g.pick(EMAIL_DOMAINS);
  if (g.chance(0.8)) {
    emails.push({ address: `${slug}@${domain}`, typeCode: EMAIL_TYPE_CODES.Current });
    if (g.chance(0.15)) emails.push({ address: `${slug}@work.${domain}`, typeCode: EMAIL_TYPE_CODES.Work });
  }
  return emails;
}
