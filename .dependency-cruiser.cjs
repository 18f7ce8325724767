// Layering rules for the hivedb packages (see ARCHITECTURE.md, "Dependency rules").
// Run with `npm run lint:layers` (turbo task `//#lint:layers`), i.e.
// `depcruise packages bench --config .dependency-cruiser.cjs`.
//
// A hivedb package can show up in a cruise under two paths:
//   - `packages/<name>/...` when the import resolved (pnpm's workspace symlink is followed to the
//     real folder, or a relative path pointed there);
//   - `@hivedb/<name>...` when it did not resolve, e.g. before `build` wrote `dist/`, or when the
//     importer does not list the package as a dependency. The rules match both, so they hold
//     whether or not the packages are built.

/**
 * What each package may import, by package name. Arrows only point down; a package that is not
 * listed here (a new one, or the private bench) may be imported by none of them until it is added.
 */
const ALLOWED = {
  pool: [],
  schema: ['pool'],
  store: ['schema', 'pool'],
  monitor: ['pool', 'schema'],
  testkit: ['pool', 'schema', 'store', 'monitor'],
  cli: ['pool', 'schema', 'store', 'monitor'],
};

/** Public subpath exports (package.json `exports`), as `@hivedb/<name>/<subpath>` and their dist files. */
const PUBLIC_SUBPATHS = [
  '@hivedb/testkit/suite$',
  'packages/testkit/dist/suite\\.(?:js|cjs|d\\.ts|d\\.cts)$',
].join('|');

// Any hivedb package, by path or by name (bench lives outside packages/ and is never a dependency).
const ANY_HIVEDB = '^(?:packages/[^/]+|@hivedb/[^/]+|bench)(?:/|$)';

const alt = (names) => names.join('|');

/** @type {import('dependency-cruiser').IForbiddenRuleType[]} */
const layerRules = Object.entries(ALLOWED).map(([name, allowed]) => {
  const mayReach = alt([name, ...allowed]);
  return {
    name: `layers-${name}`,
    severity: 'error',
    comment:
      `@hivedb/${name} may import ${allowed.length ? allowed.map((a) => `@hivedb/${a}`).join(', ') : 'no other hivedb package'}` +
      ' (arrows only point down: pool <- schema <- store, pool/schema <- monitor, all <- testkit).',
    from: { path: `^packages/${name}/` },
    to: {
      path: ANY_HIVEDB,
      pathNot: `^(?:packages/(?:${mayReach})|@hivedb/(?:${mayReach}))(?:/|$)`,
    },
  };
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'layers-unknown-package',
      severity: 'error',
      comment:
        'Every folder under packages/ needs an entry in ALLOWED in .dependency-cruiser.cjs, ' +
        'so that its place in the layering is a decision, not an accident.',
      from: { path: '^packages/([^/]+)/', pathNot: `^packages/(?:${alt(Object.keys(ALLOWED))})/` },
      to: { path: ANY_HIVEDB, pathNot: '^packages/$1/' },
    },
    {
      name: 'bench-by-name-only',
      severity: 'error',
      comment:
        'The benchmarks measure the packages as users get them: import them by name ' +
        "('@hivedb/pool'), never by a path into packages/.",
      from: { path: '^bench/' },
      to: { path: '^packages/', dependencyTypes: ['local'] },
    },
    {
      name: 'no-relative-cross-package',
      severity: 'error',
      comment:
        "Across packages, import the package by name ('@hivedb/pool'), never by a path into " +
        "its files ('../pool/src/...', '../../packages/...'): the path skips the package's " +
        'exports map and breaks once the packages are installed from the registry.',
      from: { path: '^packages/([^/]+)/' },
      to: {
        dependencyTypes: ['local'],
        path: '^(?:packages/[^/]+|bench)/',
        pathNot: '^packages/$1/',
      },
    },
    {
      name: 'no-deep-package-import',
      severity: 'error',
      comment:
        "Across packages, import the package name only ('@hivedb/pool'), not a file inside it " +
        "('@hivedb/pool/src/...', '@hivedb/pool/dist/...'): src/index.ts is the whole public face.",
      from: { path: '^packages/([^/]+)/' },
      to: {
        dependencyTypesNot: ['local'],
        path: '^(?:packages/[^/]+/(?!dist/index\\.(?:js|cjs|d\\.ts|d\\.cts)$)|@hivedb/[^/]+/)',
        // Subpaths a package declares in its `exports` are public too (by name before a build,
        // by their dist file after it).
        pathNot: `^(?:packages/$1/|@hivedb/[^/]+/package\\.json$|packages/[^/]+/package\\.json$|${PUBLIC_SUBPATHS})`,
      },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A runtime import cycle inside a package makes module initialisation order matter ' +
        '(a class is undefined when the other file first runs). Move the shared part into its ' +
        'own file. Cycles made only of `import type` are erased at compile time and allowed.',
      from: { path: '^packages/([^/]+)/' },
      to: {
        circular: true,
        path: '^packages/$1/',
        viaOnly: { dependencyTypesNot: ['type-only'] },
      },
    },
  ],
  options: {
    // Built output and installed packages are cruised as targets, never scanned for their own
    // imports: the rules are about the sources people write.
    doNotFollow: { path: ['node_modules', '(^|/)dist/'] },
    exclude: { path: ['(^|/)(?:\\.turbo|test-results|coverage)/', '(^|/)dist/.*\\.map$'] },
    // `import type` counts for layering: a lower package must not even know a higher one's types.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types'],
      extensions: ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '.d.ts', '.json'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
