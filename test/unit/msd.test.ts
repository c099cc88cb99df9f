import fs from 'node:fs';
import path from 'node:path';
import { decodeMsd } from '../../src/assist/msd';

/**
 * The MSD decoder against encodings made by an independent ASN.1 implementation: Python's asn1tools
 * compiled the published module (test/fixtures/assist/msd-v2.asn) and UPER-encoded 40 messages
 * (scripts/gen-msd-vectors.py → test/fixtures/assist/msd-vectors.json).
 */

interface Delta {
  latitudeDelta: number;
  longitudeDelta: number;
}
interface Vector {
  hex: string;
  value: {
    id: number;
    msd: {
      msdStructure: {
        messageIdentifier: number;
        control: { automaticActivation: boolean; testCall: boolean; positionCanBeTrusted: boolean; vehicleType: string };
        vehicleIdentificationNumber: { isowmi: string; isovds: string; isovisModelyear: string; isovisSeqPlant: string };
        vehiclePropulsionStorageType: Record<string, boolean>;
        timestamp: number;
        vehicleLocation: { positionLatitude: number; positionLongitude: number };
        vehicleDirection: number;
        recentVehicleLocationN1?: Delta;
        recentVehicleLocationN2?: Delta;
        numberOfPassengers?: number;
      };
      optionalAdditionalData?: { oid: string; data: string };
    };
  };
}

const fixtures = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/assist/msd-vectors.json'), 'utf8')) as { generator: string; vectors: Vector[] };
const STORAGE: Record<string, string> = {
  gasolineTankPresent: 'gasoline',
  dieselTankPresent: 'diesel',
  compressedNaturalGas: 'cng',
  liquidPropaneGas: 'lpg',
  electricEnergyStorage: 'electric',
  hydrogenStorage: 'hydrogen',
  otherStorage: 'other',
};

test('the vectors come from asn1tools and cover the optional parts', () => {
  expect(fixtures.generator).toMatch(/^asn1tools /);
  const s = fixtures.vectors.map((v) => v.value.msd);
  expect(s.length).toBe(40);
  expect(s.some((m) => m.optionalAdditionalData)).toBe(true);
  expect(s.some((m) => m.msdStructure.recentVehicleLocationN2)).toBe(true);
  expect(s.some((m) => m.msdStructure.numberOfPassengers === undefined)).toBe(true);
  expect(s.some((m) => m.msdStructure.vehicleLocation.positionLatitude === -324000000 || m.msdStructure.vehicleLocation.positionLatitude === 324000000)).toBe(true);
});

test.each(fixtures.vectors.map((v, i) => [i, v] as const))('vector %i decodes to the values asn1tools encoded', (_i, v) => {
  const r = decodeMsd(Buffer.from(v.hex, 'hex'));
  if (!r.ok) throw new Error(r.error);
  const s = v.value.msd.msdStructure;
  const vin = s.vehicleIdentificationNumber;
  const lat = s.vehicleLocation.positionLatitude;
  const lon = s.vehicleLocation.positionLongitude;
  const recent: { lat: number; lon: number }[] = [];
  let la = lat;
  let lo = lon;
  for (const d of [s.recentVehicleLocationN1, s.recentVehicleLocationN2]) {
    if (!d) continue;
    la += d.latitudeDelta * 100;
    lo += d.longitudeDelta * 100;
    recent.push({ lat: la / 3_600_000, lon: lo / 3_600_000 });
  }
  expect(r.msd).toEqual({
    version: 2,
    messageIdentifier: s.messageIdentifier,
    automaticActivation: s.control.automaticActivation,
    testCall: s.control.testCall,
    positionCanBeTrusted: s.control.positionCanBeTrusted,
    vehicleType: s.control.vehicleType.replace(/^.*Class/, ''),
    vin: vin.isowmi + vin.isovds + vin.isovisModelyear + vin.isovisSeqPlant,
    propulsion: Object.keys(STORAGE).filter((k) => s.vehiclePropulsionStorageType[k]).map((k) => STORAGE[k]),
    timestamp: new Date(s.timestamp * 1000).toISOString(),
    position: { lat: lat / 3_600_000, lon: lon / 3_600_000 },
    headingDeg: s.vehicleDirection === 255 ? null : s.vehicleDirection * 2,
    recentPositions: recent,
    passengers: s.numberOfPassengers ?? null,
    additionalData: v.value.msd.optionalAdditionalData ? { oid: '8.129', bytes: v.value.msd.optionalAdditionalData.data.length / 2 } : null,
  });
});

test('a cut-short MSD is refused with where it broke, not thrown', () => {
  const full = Buffer.from((fixtures.vectors[0] as Vector).hex, 'hex');
  const r = decodeMsd(full.subarray(0, 12));
  expect(r).toEqual({ ok: false, error: expect.stringMatching(/^MSD not readable: the data ends too early \(at bit \d+\)/) });
  expect(decodeMsd(Buffer.alloc(0))).toMatchObject({ ok: false });
});

test('another MSD version and a latitude past its range are named', () => {
  const v1 = Buffer.from((fixtures.vectors[0] as Vector).hex, 'hex');
  v1[0] = 1;
  expect(decodeMsd(v1)).toEqual({ ok: false, error: expect.stringContaining('MSD version 1 is not supported') });
  // id 2, no extension, no extras; messageIdentifier 0; control; VIN of zeros; no storage; time 0; latitude offset all ones
  const bits = '00000010' + '0' + '0' + '0000' + '00000000' + '000' + '0' + '0000' + '000000'.repeat(17) + '0' + '0000000' + '0'.repeat(32) + '1'.repeat(30);
  const padded = bits.padEnd(Math.ceil(bits.length / 8) * 8 + 64, '0');
  const bytes = Buffer.from(padded.match(/.{8}/g)?.map((b) => parseInt(b, 2)) ?? []);
  expect(decodeMsd(bytes)).toEqual({ ok: false, error: expect.stringContaining('positionLatitude: 749741823 is beyond its range -324000000..324000000') });
});
