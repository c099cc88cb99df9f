'use strict';
// `npm start`: set up what is missing, then run the server in this same process,
// so SIGTERM/SIGINT from npm or a terminal reach its shutdown handler directly.
const path = require('node:path');
const { bootstrap, ROOT } = require('./bootstrap.cjs');

bootstrap({ redis: !process.env.REDIS_URL, ferretdb: !process.env.MONGODB_URI });
require(path.join(ROOT, 'dist', 'src', 'main.js'));
