// Images imported from a rootfs (`import --change`) get one label per LABEL change: Podman reads `LABEL a=1 b=2` as
// a=`1 b=2`, and its kernel images then had no airlock.role and an airlock.owner that gc and `airlock images` never list.
import * as assert from 'node:assert/strict';
import { kernelImageSpec } from '../../../templates/builder/kernel-image';

const ONE_LABEL = /^LABEL [^\s="]+=("([^"\\]|\\.)*"|[^\s"]+)$/;

describe('labels of imported images', () => {
  it("the kernel image's LABEL changes each name one label", () => {
    const labels = (kernelImageSpec().changes ?? []).filter((c) => c.startsWith('LABEL '));
    assert.ok(labels.some((c) => c === 'LABEL airlock.role=kernel-image'));
    for (const c of labels) assert.match(c, ONE_LABEL);
  });
});
