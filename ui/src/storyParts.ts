// Review of a story's take: time in each part (situation, task, action, result) as a bar,
// from the boundaries the core found in the transcript or the user moved. Keys (review):
// A picks the next boundary (task, action, result), , and . move it 1 s earlier or later
// (saved at once), U goes back to the one found in the transcript.
import { errorText, storyApi, type TimeInParts } from "./api";
import { clock } from "./format";
import { t, type Key } from "./i18n";
import { find } from "./dom";

const BOUNDARIES = ["task", "action", "result"] as const;
const STEP_MS = 1000;

const st = {
  takeId: 0,
  parts: null as TimeInParts | null,
  selected: 2,
  showError: (_: string) => undefined as void,
};


function partName(part: string): string {
  return t(`storyParts.${part}` as Key);
}

/** The take shown in review changed: load its parts (nothing shows for a take of no story). */
export async function showStoryParts(takeId: number, showError: (m: string) => void): Promise<void> {
  st.showError = showError;
  st.takeId = takeId;
  st.parts = null;
  render();
  try {
    const p = await storyApi.parts(takeId);
    if (st.takeId !== takeId) return;
    st.parts = p;
  } catch (e) {
    showError(errorText(e));
  }
  render();
}

export function render(): void {
  const box = find("d-parts");
  if (!box) return;
  const p = st.parts;
  box.hidden = !p;
  if (!p) return;
  box.replaceChildren();
  const title = document.createElement("h3");
  title.textContent = t("storyParts.title");
  const summary = document.createElement("p");
  summary.id = "d-parts-summary";
  const longest = p.parts.find((x) => x.part === p.longest);
  const share = `${Math.round((longest?.share ?? 0) * 100)}%`;
  summary.textContent =
    p.result_at_ms === null
      ? t("storyParts.notReached", { share, part: partName(p.longest), total: clock(p.duration_ms) })
      : t("storyParts.summary", { share, part: partName(p.longest), at: clock(p.result_at_ms), total: clock(p.duration_ms) });
  const bar = document.createElement("div");
  bar.className = "parts-bar";
  bar.id = "d-parts-bar";
  for (const x of p.parts) {
    const seg = document.createElement("div");
    seg.className = `parts-seg parts-${x.part}`;
    seg.dataset.part = x.part;
    seg.dataset.ms = String(x.ms);
    seg.style.width = `${(x.share ?? 0) * 100}%`;
    seg.title = `${partName(x.part)} ${clock(x.ms)}`;
    if ((x.share ?? 0) >= 0.08) seg.textContent = partName(x.part);
    bar.append(seg);
  }
  const list = document.createElement("ul");
  list.className = "parts-bounds";
  p.boundaries.forEach((b, i) => {
    const li = document.createElement("li");
    li.dataset.part = b.part;
    li.dataset.source = b.source;
    li.setAttribute("aria-selected", String(i === st.selected));
    const where = b.at_ms === null ? t("storyParts.notTold") : clock(b.at_ms);
    const how = b.source === "set" ? t("storyParts.set") : b.source === "found" ? t("storyParts.found", { cue: b.cue ?? "" }) : "";
    li.textContent = `${partName(b.part)}: ${where}${how ? ` · ${how}` : ""}`;
    list.append(li);
  });
  const hint = document.createElement("p");
  hint.className = "muted parts-hint";
  hint.textContent = t("storyParts.keys");
  box.append(title, summary, bar, list, hint);
}

async function save(part: string, atMs: number | null): Promise<void> {
  try {
    st.parts = await storyApi.setPart(st.takeId, part, atMs);
  } catch (e) {
    st.showError(errorText(e));
  }
  render();
}

/** A key in review: true when it moved or picked a boundary. */
export function storyPartsKey(key: string): boolean {
  const p = st.parts;
  if (!p) return false;
  if (key === "a" || key === "A") {
    st.selected = (st.selected + 1) % BOUNDARIES.length;
    render();
    return true;
  }
  const b = p.boundaries[st.selected];
  if (!b) return false;
  if (key === "," || key === ".") {
    // A part not reached yet starts where the part before it does (or at the take's start).
    const before = p.boundaries.slice(0, st.selected).reverse().find((x) => x.at_ms !== null)?.at_ms ?? 0;
    const from = b.at_ms ?? before;
    const to = Math.max(0, Math.min(p.duration_ms, from + (key === "." ? STEP_MS : -STEP_MS)));
    void save(b.part, to);
    return true;
  }
  if ((key === "u" || key === "U") && b.source === "set") {
    void save(b.part, null);
    return true;
  }
  return false;
}
