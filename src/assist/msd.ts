import type { MsdView } from '../shared/assist';
import { UperError, UperReader } from './uper-reader';

/**
 * The eCall Minimum Set of Data (EN 15722:2015, MSD version 2, ASN.1 module MSDASN1Module; the text
 * is in test/fixtures/assist/msd-v2.asn) decoded from its UPER encoding, as RFC 8147 carries it in
 * the body part application/emergencyCallData.eCall.MSD of an NG eCall INVITE or SIP INFO.
 */

/** The VIN alphabet: digits and capitals without I, O and Q, sorted (UPER sends the index). */
const VIN_ALPHABET = '0123456789ABCDEFGHJKLMNPRSTUVWXYZ';
const VEHICLE_TYPES = ['M1', 'M2', 'M3', 'N1', 'N2', 'N3', 'L1e', 'L2e', 'L3e', 'L4e', 'L5e', 'L6e', 'L7e'] as const;
const STORAGE = ['gasoline', 'diesel', 'cng', 'lpg', 'electric', 'hydrogen', 'other'] as const;
/** Positions are in milliarcseconds; deltas in units of 100 milliarcseconds. */
const MAS_PER_DEGREE = 3_600_000;

export type MsdResult = { ok: true; msd: MsdView } | { ok: false; error: string };

export function decodeMsd(data: Uint8Array): MsdResult {
  try {
    return { ok: true, msd: readECallMessage(new UperReader(data)) };
  } catch (err) {
    if (err instanceof UperError) return { ok: false, error: `MSD not readable: ${err.message}` };
    throw err;
  }
}

function readECallMessage(r: UperReader): MsdView {
  const version = r.constrained(0, 255, 'id');
  if (version !== 2) throw new UperError(`MSD version ${version} is not supported (version 2, EN 15722:2015, is)`, 0);
  // MSDMessage ::= SEQUENCE { msdStructure, optionalAdditionalData OPTIONAL, ... }
  const msgExtended = r.bit();
  const hasAdditional = r.bit();
  const s = readStructure(r);
  let additional: MsdView['additionalData'] = null;
  if (hasAdditional) {
    const oidLen = r.length('oid');
    const oid = relativeOid(r.octets(oidLen));
    const dataLen = r.length('data');
    additional = { oid, bytes: dataLen };
    r.octets(dataLen);
  }
  if (msgExtended) r.skipExtensions('MSDMessage');
  return { ...s, version, additionalData: additional };
}

function readStructure(r: UperReader): Omit<MsdView, 'version' | 'additionalData'> {
  const extended = r.bit();
  const hasN1 = r.bit();
  const hasN2 = r.bit();
  const hasPassengers = r.bit();
  const messageIdentifier = r.constrained(0, 255, 'messageIdentifier');
  const automaticActivation = r.bit();
  const testCall = r.bit();
  const positionCanBeTrusted = r.bit();
  const typeExtended = r.bit();
  const vehicleType = typeExtended ? `extension-${r.normallySmall()}` : (VEHICLE_TYPES[r.constrained(0, VEHICLE_TYPES.length - 1, 'vehicleType')] as string);
  const vin = r.fixedString(3, VIN_ALPHABET, 'isowmi') + r.fixedString(6, VIN_ALPHABET, 'isovds') + r.fixedString(1, VIN_ALPHABET, 'isovisModelyear') + r.fixedString(7, VIN_ALPHABET, 'isovisSeqPlant');
  const propulsionExtended = r.bit();
  const present = STORAGE.map(() => r.bit());
  const propulsion: string[] = [];
  STORAGE.forEach((name, i) => {
    if (present[i] && r.bit()) propulsion.push(name);
  });
  if (propulsionExtended) r.skipExtensions('VehiclePropulsionStorageType');
  const timestamp = r.bits(32);
  const latMas = r.constrained(-324_000_000, 324_000_000, 'positionLatitude');
  const lonMas = r.constrained(-648_000_000, 648_000_000, 'positionLongitude');
  const direction = r.constrained(0, 255, 'vehicleDirection');
  const recent: { lat: number; lon: number }[] = [];
  let lat = latMas;
  let lon = lonMas;
  for (const has of [hasN1, hasN2]) {
    if (!has) continue;
    lat += r.constrained(-512, 511, 'latitudeDelta') * 100;
    lon += r.constrained(-512, 511, 'longitudeDelta') * 100;
    recent.push({ lat: lat / MAS_PER_DEGREE, lon: lon / MAS_PER_DEGREE });
  }
  const passengers = hasPassengers ? r.constrained(0, 255, 'numberOfPassengers') : null;
  if (extended) r.skipExtensions('MSDStructure');
  return {
    messageIdentifier,
    automaticActivation,
    testCall,
    positionCanBeTrusted,
    vehicleType,
    vin,
    propulsion,
    timestamp: new Date(timestamp * 1000).toISOString(),
    position: { lat: latMas / MAS_PER_DEGREE, lon: lonMas / MAS_PER_DEGREE },
    // 2° steps clockwise from north; 255: unknown
    headingDeg: direction === 255 ? null : direction * 2,
    recentPositions: recent,
    passengers,
  };
}

/** RELATIVE-OID contents octets (BER, base 128) as dotted arcs. */
function relativeOid(bytes: Uint8Array): string {
  const arcs: number[] = [];
  let v = 0;
  for (const b of bytes) {
    v = v * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(v);
      v = 0;
    }
  }
  return arcs.join('.');
}
