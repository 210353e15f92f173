// The handler registry: one file per RPC method, gathered here by domain.
import type { MethodName } from '../../../protocol/src/methods';
import type { Handler } from '../../../protocol/src/rpc-server';
import type { AuditWriter, KernelServices } from '../services';
import { info } from './kernel/info';
import { ping } from './kernel/ping';
import { read } from './fs/read';
import { evaluate as policyEvaluate } from './policy/evaluate';
import { check as policyCheck } from './policy/check';
import { list as reviewList } from './review/list';
import { show as reviewShow } from './review/show';
import { decide as reviewDecide } from './review/decide';
import { plan as reviewPlan } from './review/plan';
import { blob as reviewBlob } from './review/blob';
import { merged as reviewMerged, type ProvenanceSources } from './review/merged';
import { exportSet as reviewExport } from './review/export';
import { verify as reviewVerify, type VerifyServices } from './review/verify';
import { list as tasksList } from './tasks/list';
import { cancel as tasksCancel } from './tasks/cancel';
import { pause as tasksPause } from './tasks/pause';
import { resume as tasksResume } from './tasks/resume';
import { get as workflowGet } from './workflow/get';
import { transition as workflowTransition } from './workflow/transition';
import { setMode as workflowSetMode } from './workflow/set-mode';
import { list as sandboxList } from './sandbox/list';
import { create as sandboxCreate } from './sandbox/create';
import { exec as sandboxExec } from './sandbox/exec';
import { destroy as sandboxDestroy } from './sandbox/destroy';
import { prune as sandboxPrune } from './sandbox/prune';
import { pause as sandboxPause } from './sandbox/pause';
import { resume as sandboxResume } from './sandbox/resume';
import { pools as sandboxPools } from './sandbox/pools';
import { query as auditQuery } from './audit/query';
import { verify as auditVerify } from './audit/verify';
import { stats as auditStats } from './audit/stats';
import { head as auditHead } from './audit/head';
import { blame as auditBlame } from './audit/blame';
import { attest as auditAttest } from './audit/attest';
import { start as taskStart } from './task/start';
import { cancel as taskCancel } from './task/cancel';
import { approve as taskApprove } from './task/approve';
import { rewind as taskRewind } from './task/rewind';
import { respond as lmRespond } from './lm/respond';
import { configure as providerConfigure } from './provider/configure';
import { list as sessionsList } from './sessions/list';
import { show as sessionsShow } from './sessions/show';
import { remove as sessionsDelete } from './sessions/delete';
import { open as externalOpen } from './external/open';
import { call as externalCall } from './external/call';
import { approve as externalApprove } from './external/approve';
import { close as externalClose } from './external/close';
import { mcpHandlers } from './mcp';
import { pluginsHandlers } from './plugins';

/** One handler for every method: a method added to the protocol without its handler here does not compile. (The
 * server's HandlerMap stays partial so tests can serve a few methods; this is what the kernel itself serves.) */
export type KernelHandlers = { readonly [M in MethodName]: Handler<M> };

type Needs<K extends keyof KernelServices> = Pick<KernelServices, K>;

export function createHandlers(s: KernelServices): KernelHandlers {
  return {
    ...kernelHandlers(s),
    ...fsHandlers(s),
    ...policyHandlers(s),
    ...reviewHandlers(s),
    ...schedulerHandlers(s),
    ...workflowHandlers(s),
    ...sandboxHandlers(s),
    ...auditHandlers(s),
    ...provenanceHandlers(s),
    ...taskHandlers(s),
    ...sessionsHandlers(s),
    ...externalHandlers(s),
    ...mcpHandlers(s),
    ...pluginsHandlers(s),
  };
}

// By domain, each with only the services it uses (tests serve one domain over real services of just that kind).
export const kernelHandlers = (s: Needs<'version' | 'startedAt' | 'config'>) => ({ 'kernel/ping': ping(), 'kernel/info': info(s) });

export const fsHandlers = (s: Needs<'policy' | 'config'> & AuditWriter) => ({ 'fs/read': read(s) });

export const policyHandlers = (s: Needs<'policy'> & AuditWriter) => ({
  'policy/evaluate': policyEvaluate(s),
  'policy/check': policyCheck(s),
});

export const reviewHandlers = (s: VerifyServices & ProvenanceSources) => ({
  'review/list': reviewList(s),
  'review/show': reviewShow(s),
  'review/decide': reviewDecide(s),
  'review/plan': reviewPlan(s),
  'review/verify': reviewVerify(s),
  'review/blob': reviewBlob(s),
  'review/merged': reviewMerged(s),
  'review/export': reviewExport(s),
});

export const schedulerHandlers = (s: Needs<'scheduler'> & AuditWriter) => ({
  'tasks/list': tasksList(s),
  'tasks/cancel': tasksCancel(s),
  'tasks/pause': tasksPause(s),
  'tasks/resume': tasksResume(s),
});

export const workflowHandlers = (s: Needs<'workflow'>) => ({
  'workflow/get': workflowGet(s),
  'workflow/transition': workflowTransition(s),
  'workflow/setMode': workflowSetMode(s),
});

export const sandboxHandlers = (s: Needs<'runtime'>) => ({
  'sandbox/list': sandboxList(s),
  'sandbox/create': sandboxCreate(s),
  'sandbox/exec': sandboxExec(s),
  'sandbox/destroy': sandboxDestroy(s),
  'sandbox/prune': sandboxPrune(s),
  'sandbox/pause': sandboxPause(s),
  'sandbox/resume': sandboxResume(s),
  'sandbox/pools': sandboxPools(s),
});

export const auditHandlers = (s: AuditWriter) => ({
  'audit/query': auditQuery(s),
  'audit/verify': auditVerify(s),
  'audit/stats': auditStats(s),
  'audit/head': auditHead(s),
});

/** Provenance reads the audit log, the patch store's kept texts and the workspace (as fs/read does). */
export const provenanceHandlers = (s: Needs<'policy' | 'config' | 'patches' | 'version'> & AuditWriter) => ({
  'audit/blame': auditBlame(s),
  'audit/attest': auditAttest(s),
});

export const sessionsHandlers = (s: Needs<'sessions'> & AuditWriter) => ({
  'sessions/list': sessionsList(s),
  'sessions/show': sessionsShow(s),
  'sessions/delete': sessionsDelete(s),
});

export const taskHandlers = (s: Needs<'tasks' | 'config' | 'sessions' | 'patches'> & AuditWriter) => ({
  'task/start': taskStart(s),
  'task/cancel': taskCancel(s),
  'task/approve': taskApprove(s),
  'task/rewind': taskRewind(s),
  'lm/respond': lmRespond(s),
  'provider/configure': providerConfigure(s),
});

export const externalHandlers = (s: Needs<'external'>) => ({
  'external/open': externalOpen(s),
  'external/call': externalCall(s),
  'external/approve': externalApprove(s),
  'external/close': externalClose(s),
});
