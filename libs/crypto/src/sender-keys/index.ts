/**
 * Public surface of the sender-key (group) module, browser-safe. The native adapter is exported
 * separately through `@pairchat/crypto/native` (`./native.ts`).
 * @module
 */
export type { GroupCipher, SenderKeyStore } from './api.js';
export {
  MAX_SENDER_KEY_STATES,
  SENDER_KEY_MAX_FORWARD_JUMPS,
  SENDER_KEY_MAX_MESSAGE_KEYS,
  SENDER_KEY_MESSAGE_VERSION,
} from './constants.js';
export { SenderKeyDistributionMessage, SenderKeyMessage } from './distribution-message.js';
export { TsGroupCipher } from './ts.js';
