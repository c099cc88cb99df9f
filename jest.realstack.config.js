/** `npm run test:realstack`: the suites that need a real drachtio-server and FreeSWITCH (test/realstack). */
const base = require('./jest.config.js');
module.exports = { ...base, roots: ['<rootDir>/test/realstack'], testPathIgnorePatterns: [], testTimeout: 90000, maxWorkers: 1 };
