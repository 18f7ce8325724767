// The reliability suite against the default configuration.
import { runReliabilitySuite } from '../src/suite.js';

runReliabilitySuite(() => ({}), { name: 'reliability suite (default configuration)' });
