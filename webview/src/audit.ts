// Entry of the Audit Log webview bundle (dist/webview/audit.js).
import './shared/base.css';
import './audit/audit.css';
import { AuditApp } from './audit/app';
import { Bridge } from './shared/bridge';
import { installFieldLabels } from './shared/fieldLabels';

const bridge = new Bridge('audit');
installFieldLabels(document.getElementById('app')!);
const app = new AuditApp(document.getElementById('app')!, bridge);
bridge.start((m) => app.handle(m));
