// kernel/info: what the kernel is and where its state lives (for `airlock doctor`).
import { PROTOCOL_VERSION } from '../../../../protocol/src/messages';
import { assets } from '../../../../protocol/src/node/assets';
import type { Handler } from '../../../../protocol/src/rpc-server';
import { workspaceSandboxUser } from '../../../../core/src/templates';
import type { KernelServices } from '../../services';

export const info =
  (s: Pick<KernelServices, 'version' | 'startedAt' | 'config'>): Handler<'kernel/info'> =>
  () => ({
    version: s.version,
    protocol: PROTOCOL_VERSION,
    pid: process.pid,
    startedAt: s.startedAt,
    workspace: s.config.workspace,
    stateDir: s.config.stateDir,
    inContainer: s.config.inContainer,
    node: process.version,
    assets: (({ layout, kernelDir, policiesDir, sandboxTemplatesDir, deno }) => ({
      layout,
      kernelDir,
      policiesDir,
      sandboxTemplatesDir,
      deno: !!deno,
    }))(assets()),
    sandboxUser: workspaceSandboxUser(),
  });
