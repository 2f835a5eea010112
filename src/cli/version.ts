export { packageVersion } from '../util/package-version.js';
