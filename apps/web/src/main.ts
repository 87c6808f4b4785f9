import { createApp } from 'vue';
import App from './App.vue';
import { install as installChat } from './modules/chat.js';
import { install as installDeviceKeys } from './modules/device-keys.js';
import { install as installPinia } from './modules/pinia.js';
import { install as installRouter } from './modules/router.js';
import { install as installSessionSync } from './modules/session-sync.js';
import './styles/main.css';

const app = createApp(App);
for (const install of [installPinia, installSessionSync, installDeviceKeys, installChat, installRouter]) install(app);
app.mount('#app');
