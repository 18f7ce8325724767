// The reliability suite against a small pool: two connections (the writer and one reader).
import { runReliabilitySuite } from '../src/suite.js';

runReliabilitySuite(
  () => ({
    pool: { maxConnections: 2, minConnections: 1 },
    store: { maxConnections: 2, minConnections: 1 },
  }),
  { name: 'reliability suite (maxConnections 2)' },
);
