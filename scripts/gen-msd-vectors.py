#!/usr/bin/env python3
"""Makes the MSD test vectors with an independent ASN.1 implementation (asn1tools, PyPI).

Compiles the published MSD module (test/fixtures/assist/msd-v2.asn) and UPER-encodes a set of
messages; writes test/fixtures/assist/msd-vectors.json (hex encodings with the values encoded),
which test/unit/msd.test.ts decodes with src/assist/msd.ts.

Run:  python3 -m venv .tools/asn1tools-0.169.0 && .tools/asn1tools-0.169.0/bin/pip install asn1tools==0.169.0
      .tools/asn1tools-0.169.0/bin/python scripts/gen-msd-vectors.py
"""
import json
import os
import random

import asn1tools

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEC = os.path.join(ROOT, 'test', 'fixtures', 'assist', 'msd-v2.asn')
OUT = os.path.join(ROOT, 'test', 'fixtures', 'assist', 'msd-vectors.json')
ALPHABET = '0123456789ABCDEFGHJKLMNPRSTUVWXYZ'
TYPES = ['passengerVehicleClassM1', 'busesAndCoachesClassM2', 'busesAndCoachesClassM3', 'lightCommercialVehiclesClassN1',
         'heavyDutyVehiclesClassN2', 'heavyDutyVehiclesClassN3', 'motorcyclesClassL1e', 'motorcyclesClassL2e',
         'motorcyclesClassL3e', 'motorcyclesClassL4e', 'motorcyclesClassL5e', 'motorcyclesClassL6e', 'motorcyclesClassL7e']
STORAGE = ['gasolineTankPresent', 'dieselTankPresent', 'compressedNaturalGas', 'liquidPropaneGas',
           'electricEnergyStorage', 'hydrogenStorage', 'otherStorage']


def vin(s):
    return {'isowmi': s[0:3], 'isovds': s[3:9], 'isovisModelyear': s[9:10], 'isovisSeqPlant': s[10:17]}


def message(rnd, i):
    v = ''.join(rnd.choice(ALPHABET) for _ in range(17)) if i > 1 else ['LSVAU2180N2183294', 'LFV3A28K8P3012345'][i]
    s = {
        'messageIdentifier': rnd.randint(0, 255),
        'control': {'automaticActivation': rnd.random() < 0.5, 'testCall': rnd.random() < 0.2,
                    'positionCanBeTrusted': rnd.random() < 0.8, 'vehicleType': rnd.choice(TYPES)},
        'vehicleIdentificationNumber': vin(v),
        'vehiclePropulsionStorageType': {k: True for k in STORAGE if rnd.random() < 0.3},
        'timestamp': rnd.randint(0, 4294967295),
        # China mostly, with the extremes of the ranges now and then
        'vehicleLocation': {'positionLatitude': rnd.choice([rnd.randint(18 * 3600000, 53 * 3600000), -324000000, 324000000]),
                            'positionLongitude': rnd.choice([rnd.randint(73 * 3600000, 135 * 3600000), -648000000, 648000000])},
        'vehicleDirection': rnd.randint(0, 255),
    }
    if rnd.random() < 0.7:
        s['recentVehicleLocationN1'] = {'latitudeDelta': rnd.randint(-512, 511), 'longitudeDelta': rnd.randint(-512, 511)}
        if rnd.random() < 0.7:
            s['recentVehicleLocationN2'] = {'latitudeDelta': rnd.randint(-512, 511), 'longitudeDelta': rnd.randint(-512, 511)}
    if rnd.random() < 0.7:
        s['numberOfPassengers'] = rnd.randint(0, 255)
    msd = {'msdStructure': s}
    if rnd.random() < 0.3:
        msd['optionalAdditionalData'] = {'oid': bytes([8, 0x81, 0x01]), 'data': bytes(rnd.randint(0, 255) for _ in range(rnd.randint(0, 20)))}
    return {'id': 2, 'msd': msd}


def plain(v):
    """JSON: octets as hex."""
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    return v


def main():
    # asn1tools' UPER codec lacks RELATIVE-OID; X.691 encodes one as its BER contents octets after an
    # unconstrained length, exactly as an OCTET STRING: compiled as such, the arcs given as BER octets.
    with open(SPEC) as f:
        text = f.read().replace('oid  RELATIVE-OID', 'oid  OCTET STRING')
    spec = asn1tools.compile_string(text, 'uper')
    rnd = random.Random(15722)
    vectors = []
    for i in range(40):
        m = message(rnd, i)
        encoded = spec.encode('ECallMessage', m)
        vectors.append({'hex': encoded.hex(), 'value': plain(m)})
    # named messages the call tests send: an automatic crash on Shanghai's inner ring road and its update
    base = {'messageIdentifier': 1, 'control': {'automaticActivation': True, 'testCall': False, 'positionCanBeTrusted': True, 'vehicleType': 'passengerVehicleClassM1'},
            'vehicleIdentificationNumber': vin('LSVAU2180N2183294'), 'vehiclePropulsionStorageType': {'gasolineTankPresent': True},
            'timestamp': 1796200000, 'vehicleLocation': {'positionLatitude': round(31.2135 * 3600000), 'positionLongitude': round(121.4989 * 3600000)},
            'vehicleDirection': 45, 'recentVehicleLocationN1': {'latitudeDelta': -40, 'longitudeDelta': -90},
            'recentVehicleLocationN2': {'latitudeDelta': -40, 'longitudeDelta': -90}, 'numberOfPassengers': 2}
    update = dict(base, messageIdentifier=2, timestamp=1796200030, vehicleLocation={'positionLatitude': round(31.2140 * 3600000), 'positionLongitude': round(121.4995 * 3600000)})
    manual = dict(base, control=dict(base['control'], automaticActivation=False), vehicleIdentificationNumber=vin('LFV3A28K8P3012345'))
    scenarios = {name: spec.encode('ECallMessage', {'id': 2, 'msd': {'msdStructure': m}}).hex() for name, m in [('crashShanghai', base), ('crashShanghaiUpdate', update), ('manualLi', manual)]}
    with open(OUT, 'w') as f:
        json.dump({'generator': 'asn1tools ' + asn1tools.__version__, 'spec': 'test/fixtures/assist/msd-v2.asn', 'scenarios': scenarios, 'vectors': vectors}, f, indent=1)
    print('wrote', len(vectors), 'vectors to', os.path.relpath(OUT, ROOT))


if __name__ == '__main__':
    main()
