// The window's view model: every screen and overlay is a View that registers itself here, and one
// key router hands each key to the top-most open view. main.ts only boots: it never names a screen.
//
// Adding a screen: write its module, call defineView() in it, give its name a place in LAYERS
// (top first) and import the module from screens.ts.
//
// No UI framework: each view keeps its own state and renders its own part of the static
// markup in index.html, so the bundle stays one small script (about 230 kB before gzip, i18next
// included; uPlot and wavesurfer load on first use) and the end-to-end tests address the
// same element ids as before. A framework would rewrite every screen without adding a
// behaviour; this registry is the part of one that the window needed (open, keys, relabel).
import type { AppStatus, Question } from "./api";
import type { Lang } from "./i18n";

/** Every view, top-most first: an open view gets a key before every view below it. */
export const LAYERS = [
  "archive", // export/import of everything runs: nothing may start meanwhile
  "welcome", // first launch (the mic check it opens sits inside it)
  "help", // the shortcut list
  "stories", // the story bank: its fields take typed text before any shortcut
  "helpKey", // "?" opens the shortcut list over any screen below
  "mic", // the mic check (also over the call's pre-flight)
  "call",
  "review",
  "practice",
  "confirm", // the question screen's delete confirmation
  "questions", // the question screen, always open underneath
] as const;
export type ViewName = (typeof LAYERS)[number];

/** What the rest of the window offers a view (set once by main.ts before any view starts). */
export interface App {
  showError(message: string): void;
  showWarning(message: string): void;
  showStatus(message: string): void;
  /** Takes, ratings or schedules changed: views that show them reload. */
  changed(): void;
  /** Subscribe to changed(). */
  onChanged(f: () => void): void;
  /** Open another view by name (e.g. the practice summary opens review). */
  open(name: ViewName): void;
  /** The question list as loaded at start. */
  questions(): Question[];
  /** What the back end reported at start (data folder, recovery, saved settings). */
  status: AppStatus;
  /** Switches (and remembers) the UI language; every view re-renders its words. */
  setLanguage(l: Lang): Promise<void>;
}

export interface View {
  name: ViewName;
  /** Does this view take keys now? */
  isOpen(): boolean;
  /** A key while open; true when consumed, false to pass it to the views below. */
  key(e: KeyboardEvent): boolean;
  /** Wires the view's buttons and events, once, after the language is known. */
  init?(app: App): void | Promise<void>;
  /** Opens the view (for App.open). */
  open?(): void | Promise<void>;
  /** Re-renders the view's words after a language switch. */
  relabel?(): void;
}

const views = new Map<ViewName, View>();

export function defineView(v: View): View {
  if (views.has(v.name)) throw new Error(`view ${v.name} defined twice`);
  views.set(v.name, v);
  return v;
}

/** The views in layer order, top-most first. */
export function allViews(): View[] {
  return LAYERS.flatMap((n) => {
    const v = views.get(n);
    return v ? [v] : [];
  });
}

export function view(name: ViewName): View | undefined {
  return views.get(name);
}

/** The one key router: the key goes down the open views until one consumes it. */
export function routeKey(e: KeyboardEvent): ViewName | null {
  // Chords are the webview's, or an editor's own (its field listens for Ctrl+Enter itself).
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  for (const v of allViews()) {
    if (v.isOpen() && v.key(e)) return v.name;
  }
  return null;
}
