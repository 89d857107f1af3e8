// The NATS indicator in the status bar: connected / connecting / reconnecting (with why and when the next try
// is) / disconnected while the live session is on, and how many recorded events are still waiting in the outbox
// for the event stream (also while it is off). Clicking it connects (or reconnects with new credentials).
import * as vscode from 'vscode';
import type { ConnectionStatus } from '#core/nats';
import type { NatsService } from '../services/natsService';
import type { LiveSession } from '../services/liveSession';

export function createNatsStatusBar(nats: NatsService, live: LiveSession): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('gpuCluster.nats', vscode.StatusBarAlignment.Left, 10);
  item.name = 'GPU Cluster NATS';
  item.command = 'gpuCluster.nats.connect';
  const render = () => {
    const s: ConnectionStatus = nats.status;
    const backlog = nats.backlog;
    const where = s.server ? ` ${s.server}` : '';
    const waiting = backlog
      ? ` ${backlog} event${backlog === 1 ? '' : 's'} waiting in the outbox; they are stored, in order, once NATS is reachable.`
      : '';
    const count = backlog ? ` $(cloud-upload) ${backlog}` : '';
    // Off the live session the cluster item says "Connect to cluster"; this one only tells of waiting events.
    if (!live.connected) {
      if (!backlog) {
        item.hide();
        return;
      }
      item.text = `$(debug-disconnect) NATS${count}`;
      item.tooltip = `Not connected to the cluster.${waiting} Click to connect.`;
      item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
      item.show();
      return;
    }
    switch (s.state) {
      case 'idle':
        if (!backlog) {
          item.hide();
          return;
        }
        item.text = `$(debug-disconnect) NATS${count}`;
        item.tooltip = `Not connected to NATS.${waiting} Click to connect.`;
        item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
        break;
      case 'connected':
        item.text = `$(broadcast) NATS${count}`;
        item.tooltip = `Connected to NATS${where}.${backlog ? ` Publishing ${backlog} waiting event${backlog === 1 ? '' : 's'}.` : ''}`;
        item.backgroundColor = undefined;
        break;
      case 'connecting':
        item.text = `$(sync~spin) NATS${count}`;
        item.tooltip = `Connecting to NATS${where}…${waiting}`;
        item.backgroundColor = undefined;
        break;
      case 'reconnecting': {
        const next = s.retryAt ? ` Next try in ${Math.max(0, Math.round((s.retryAt - Date.now()) / 1000))} s.` : '';
        item.text = `$(sync~spin) NATS${count}`;
        item.tooltip = `Reconnecting to NATS: ${s.reason ?? 'connection lost'}.${next}${waiting} Click to retry now.`;
        item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
        break;
      }
      case 'disconnected':
        item.text = `$(debug-disconnect) NATS${count}`;
        item.tooltip = `Not connected to NATS: ${s.reason ?? 'disconnected'}.${waiting} Click to connect.`;
        item.backgroundColor = new vscode.ThemeColor(s.authFailed ? 'statusBarItem.errorBackground' : 'statusBarItem.warningBackground');
        break;
    }
    item.show();
  };
  render();
  // The backlog changes with every event stored: redraw at most four times a second.
  let redraw: NodeJS.Timeout | undefined;
  const renderSoon = () => {
    redraw ??= setTimeout(() => {
      redraw = undefined;
      render();
    }, 250);
  };
  return vscode.Disposable.from(item, nats.onDidChangeStatus(render), nats.onDidChangeBacklog(renderSoon), live.onDidChange(render), {
    dispose: () => clearTimeout(redraw),
  });
}
