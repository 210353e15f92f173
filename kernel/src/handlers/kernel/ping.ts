// kernel/ping: liveness check used by bootstrap's health probe and the status bar.
import type { Handler } from '../../../../protocol/src/rpc-server';

export const ping = (): Handler<'kernel/ping'> => (params) => ({ pong: true, nonce: params.nonce, time: Date.now() });
