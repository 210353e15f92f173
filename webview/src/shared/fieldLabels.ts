// Screen-reader names for vscode-elements fields: their inner input is named by the `label` property, not the host's aria-label.
const FIELDS = 'vscode-textfield[aria-label], vscode-textarea[aria-label], vscode-single-select[aria-label]';

type Labelled = Element & { label?: string };

/** Copies each field's aria-label to its `label` (what the focusable input inside the shadow root is named by). */
function label(el: Element): void {
  const text = el.getAttribute('aria-label') ?? '';
  if ((el as Labelled).label !== text) (el as Labelled).label = text;
}

/**
 * Names every field in `root`, now and whenever rows re-render (approval cards, the first-run form, filters):
 * without it a screen reader reads the composer and the deny-reason field by their placeholder or not at all.
 */
export function installFieldLabels(root: HTMLElement): MutationObserver {
  for (const el of root.querySelectorAll(FIELDS)) label(el);
  const observer = new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'attributes' && r.target instanceof Element && r.target.matches(FIELDS)) label(r.target);
      for (const n of r.addedNodes) {
        if (!(n instanceof Element)) continue;
        if (n.matches(FIELDS)) label(n);
        for (const el of n.querySelectorAll(FIELDS)) label(el);
      }
    }
  });
  observer.observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-label'] });
  return observer;
}
