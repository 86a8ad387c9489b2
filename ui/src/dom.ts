// The window's one DOM helper: every screen finds and makes its elements through these.

/** The element with this id; a missing one is a bug in the markup, so it throws (naming the id). */
export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`missing #${id}`);
  return e as T;
}

/** The element with this id, or null when it is not (yet) in the page: for markup a screen builds itself. */
export function find<T extends HTMLElement = HTMLElement>(id: string): T | null {
  return document.getElementById(id) as T | null;
}

/** A new element with an optional class and text. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Is the user typing in a field (where letters are text, not shortcuts)? Checkboxes are not fields. */
export function typingIn(target: EventTarget | Element | null): boolean {
  const e = target as HTMLElement | null;
  if (!e || !e.tagName) return false;
  if (e.tagName === "TEXTAREA" || e.tagName === "SELECT" || e.isContentEditable) return true;
  return e.tagName === "INPUT" && (e as HTMLInputElement).type !== "checkbox";
}

const flashTimers = new WeakMap<HTMLElement, number>();

/** Shows `text` in `e` for `ms`, then clears it; an empty text clears it now. A new text
 *  replaces the one showing (and its timer). */
export function flashText(e: HTMLElement, text: string, ms: number): void {
  e.textContent = text;
  window.clearTimeout(flashTimers.get(e));
  if (text) flashTimers.set(e, window.setTimeout(() => (e.textContent = ""), ms));
}
