'use strict';
// `npm run test:realstack`: the Switch contract suite and the SIPp scenarios (test/sipp) against a real
// drachtio-server and FreeSWITCH 1.10, given where they are:
//   DRACHTIO_HOST, DRACHTIO_PORT (admin, default 9022), DRACHTIO_SECRET,
//   DRACHTIO_SIP_HOST / DRACHTIO_SIP_PORT (where phones send SIP; default DRACHTIO_HOST:5060),
//   FREESWITCH_HOST, FREESWITCH_PORT (event socket, default 8021), FREESWITCH_SECRET,
//   REALSTACK_LOCAL_ADDRESS (this host as FreeSWITCH and drachtio reach it; default 127.0.0.1),
//   FREESWITCH_SOUND_DIR / FREESWITCH_RECORDINGS_DIR (as FreeSWITCH sees them),
//   DRACHTIO_WS_URI (drachtio's WebSocket contact, e.g. ws://127.0.0.1:5066) and a Chromium
//   (CHROMIUM_PATH, or chromium / chromium-browser / google-chrome on PATH) for the browser-agent suite.
// Without the required ones it says it skipped and why, and exits 0.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const REQUIRED = ['DRACHTIO_HOST', 'DRACHTIO_SECRET', 'FREESWITCH_HOST', 'FREESWITCH_SECRET'];
const missing = REQUIRED.filter((k) => !process.env[k]);
if (missing.length > 0) {
  process.stdout.write(
    `test:realstack skipped: ${missing.join(', ')} not set. These tests need a running drachtio-server and FreeSWITCH 1.10 ` +
      '(see README, "Testing against a real drachtio-server and FreeSWITCH"); nothing was run.\n',
  );
  process.exit(0);
}

const { bootstrap, which, ROOT } = require('./bootstrap.cjs');
bootstrap({ redis: true, ferretdb: true, sipp: true });

// The browser agent (WebRTC) suite needs drachtio's WebSocket address and a Chromium.
const chromium = process.env.CHROMIUM_PATH || ['chromium', 'chromium-browser', 'google-chrome'].map(which).find(Boolean);
const webrtcMissing = [!process.env.DRACHTIO_WS_URI && 'DRACHTIO_WS_URI not set', !chromium && 'no Chromium (CHROMIUM_PATH, or chromium on PATH)'].filter(Boolean);
const ignore = [];
if (webrtcMissing.length > 0) {
  process.stdout.write(`test:realstack: the browser-agent suite (webrtc-agent) is left out: ${webrtcMissing.join('; ')}.\n`);
  ignore.push('--testPathIgnorePatterns=webrtc-agent');
}
const jest = path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
const res = spawnSync(process.execPath, [jest, '--ci', '--config', path.join(ROOT, 'jest.realstack.config.js'), '--runInBand', ...ignore, ...process.argv.slice(2)], {
  stdio: 'inherit',
  cwd: ROOT,
  env: { ...process.env, ...(chromium ? { CHROMIUM_PATH: chromium } : {}) },
});
process.exit(res.status === null ? 1 : res.status);
