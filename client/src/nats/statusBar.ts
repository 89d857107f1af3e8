// The NATS indicator in the status bar: connected / connecting / reconnecting (with why and when the next try
// is) / disconnected, while the live session is on. Clicking it connects (or reconnects with new credentials).
import * as vscode from 'vscode';
import type { ConnectionStatus } from '../../../core/src/nats/connection';
import type { NatsService } from './natsService';
import type { LiveSession } from '../live/liveSession';

export function createNatsStatusBar(nats: NatsService, live: LiveSession): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('gpuCluster.nats', vscode.StatusBarAlignment.Left, 10);
  item.name = 'GPU Cluster NATS';
  item.command = 'gpuCluster.nats.connect';
  const render = (s: ConnectionStatus) => {
    const where = s.server ? ` ${s.server}` : '';
    // Off the live session the cluster item says "Connect to Cluster"; a NATS item would only repeat it.
    if (!live.connected) { item.hide(); return; }
    switch (s.state) {
      case 'idle':
        item.hide();
        return;
      case 'connected':
        item.text = '$(broadcast) NATS';
        item.tooltip = `Connected to NATS${where}`;
        item.backgroundColor = undefined;
        break;
      case 'connecting':
        item.text = '$(sync~spin) NATS';
        item.tooltip = `Connecting to NATS${where}…`;
        item.backgroundColor = undefined;
        break;
      case 'reconnecting': {
        const next = s.retryAt ? ` Next try in ${Math.max(0, Math.round((s.retryAt - Date.now()) / 1000))} s.` : '';
        item.text = '$(sync~spin) NATS';
        item.tooltip = `Reconnecting to NATS: ${s.reason ?? 'connection lost'}.${next} Click to retry now.`;
        item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
        break;
      }
      case 'disconnected':
        item.text = '$(debug-disconnect) NATS';
        item.tooltip = `Not connected to NATS: ${s.reason ?? 'disconnected'}. Click to connect.`;
        item.backgroundColor = new vscode.ThemeColor(s.authFailed ? 'statusBarItem.errorBackground' : 'statusBarItem.warningBackground');
        break;
    }
    item.show();
  };
  render(nats.status);
  const sub = nats.onDidChangeStatus(render);
  const liveSub = live.onDidChange(() => render(nats.status));
  return vscode.Disposable.from(item, sub, liveSub);
}
