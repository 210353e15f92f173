// Entry of the chat webview bundle (dist/webview/chat.js).
import './shared/base.css';
import './chat/chat.css';
import { ChatApp } from './chat/app';
import { Bridge } from './shared/bridge';
import { installFieldLabels } from './shared/fieldLabels';

const bridge = new Bridge('chat');
installFieldLabels(document.getElementById('app')!);
const app = new ChatApp(document.getElementById('app')!, bridge);
(globalThis as { airlockChat?: ChatApp }).airlockChat = app;
bridge.start((m) => app.handle(m));
