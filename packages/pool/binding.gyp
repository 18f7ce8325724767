# The query-interrupt watchdog: a SQLite loadable extension (native/hivedb_interrupt.c), compiled
# against the sqlite3ext.h that better-sqlite3 ships. It is plain C with pthreads: it uses no
# Node.js API and links against no library of Node's. Built by `node native/build.cjs` (the
# package's install script), which runs node-gyp with a local --nodedir so nothing is downloaded.
{
  'targets': [
    {
      'target_name': 'hivedb_interrupt',
      'type': 'loadable_module',
      'product_prefix': '',
      'sources': ['native/hivedb_interrupt.c'],
      'include_dirs': ['<!(node native/sqlite-include.cjs)'],
      'cflags': ['-std=gnu11', '-O2', '-fvisibility=hidden', '-pthread', '-Wall', '-Wextra'],
      'ldflags': ['-pthread'],
      # SQLite loads it by path; the name must not look like a Node.js addon. node-gyp's
      # addon.gypi sets '.node' in its target_conditions; these run after it, so this one wins.
      'target_conditions': [
        ['_type=="loadable_module"', { 'product_extension': 'so' }],
      ],
      'conditions': [
        ['OS=="mac"', {
          'xcode_settings': {
            'GCC_SYMBOLS_PRIVATE_EXTERN': 'YES',
            'OTHER_CFLAGS': ['-std=gnu11', '-O2', '-pthread'],
          },
        }],
      ],
    },
  ],
}
