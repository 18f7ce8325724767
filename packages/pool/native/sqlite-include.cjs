// Prints the folder holding better-sqlite3's own sqlite3.h and sqlite3ext.h, for binding.gyp's
// include_dirs (`<!(node native/sqlite-include.cjs)`), resolved from this package as Node would.
const path = require('node:path');

const pkg = require.resolve('better-sqlite3/package.json', { paths: [path.join(__dirname, '..')] });
process.stdout.write(path.join(path.dirname(pkg), 'deps', 'sqlite3'));
