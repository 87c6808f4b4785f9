/**
 * `@pairchat/crypto/native`: the libsignal-client engine. Node only; never imported by the main
 * entry point, so browser bundles do not see it. Load it lazily where needed:
 * `const { nativeEngine } = await import('@pairchat/crypto/native')`.
 * @module
 */
export { nativeEngine } from './engine.js';
export { mapNativeError } from './errors.js';
