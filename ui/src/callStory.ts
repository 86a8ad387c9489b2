// The story pick of a mock call. A call has no think time: when an interviewer asks a
// behavioural question, the stories for it (best fit first) show under the caption while
// the question is asked and for the first PICK_SECS seconds of the answer; 1–9 picks one,
// 0 none, and nothing stops or pauses (the answer clock runs, the recording goes on). The
// picked story's cue card shows in that moment only if the setting `story_cue_card_call`
// is on (off by default, as in a real call). A paused call freezes the pick window's time.
// A pick is stored at once on the question's marker (core pick_call_story): the question's
// take is linked to it when it is cut, even if the call is cut short by a crash.
import { errorText, storyApi, type Story } from "./api";
import { t } from "./i18n";
import { el, find } from "./dom";

/** Seconds into the answer during which a story can still be picked. */
export const PICK_SECS = 10;

const st = {
  session: 0,
  question: "",
  offered: [] as Story[],
  chosen: null as Story | null,
  cueCard: false,
  open: false,
  timer: 0 as number,
  /** When the pick window closes (performance.now() ms), while its timer runs. */
  closesAt: 0,
  /** Milliseconds of the pick window left while the call is paused (null: not paused). */
  pausedLeft: null as number | null,
  showError: (_: string) => undefined as void,
};


function panel(): HTMLElement {
  let box = find("call-story");
  if (!box) {
    box = el("div", "story-pick call-story");
    box.id = "call-story";
    box.hidden = true;
    find("caption")?.closest(".caption-bar")?.after(box);
  }
  return box;
}

function render(): void {
  const box = panel();
  box.replaceChildren();
  box.hidden = !st.open;
  if (!st.open) return;
  box.append(el("h3", "", st.chosen ? t("stories.picked", { title: st.chosen.title }) : t("callStory.title", { secs: PICK_SECS })));
  const ul = el("ul", "story-pick-list");
  st.offered.slice(0, 9).forEach((s, i) => {
    const li = el("li", "", `${i + 1}  ${s.title}`);
    li.setAttribute("aria-selected", String(st.chosen?.id === s.id));
    ul.append(li);
  });
  const none = el("li", "", t("stories.pickNone"));
  none.setAttribute("aria-selected", String(st.chosen === null));
  ul.append(none);
  box.append(ul);
  if (st.chosen && st.cueCard && st.chosen.cue_card?.length) {
    const card = el("div", "story-cue-card");
    card.append(el("h4", "", t("stories.cueCard")));
    const bullets = el("ul");
    st.chosen.cue_card?.forEach((b) => bullets.append(el("li", "", b)));
    card.append(bullets);
    box.append(card);
  }
}

function close(): void {
  window.clearTimeout(st.timer);
  st.timer = 0;
  st.pausedLeft = null;
  st.open = false;
  render();
}

/** A call began: no picks yet. */
export function callStoryStart(session: number, showError: (m: string) => void): void {
  st.session = session;
  st.showError = showError;
  st.question = "";
  close();
}

/** An interviewer asks a question (or a probe): offer the stories for a behavioural one. */
export async function callStoryPrompt(questionId: string, probe: boolean): Promise<void> {
  close();
  if (probe) return; // a follow-up probe goes on with the story already told
  st.question = questionId;
  st.chosen = null;
  try {
    const r = await storyApi.callPick(questionId);
    if (st.question !== questionId) return;
    st.offered = r.stories;
    st.cueCard = r.show_cue_card;
  } catch (e) {
    st.offered = [];
    st.showError(errorText(e));
  }
  st.open = st.offered.length > 0;
  render();
}

/** The answer clock started: the pick stays open PICK_SECS more seconds. */
export function callStoryAnswer(): void {
  if (!st.open) return;
  runFor(PICK_SECS * 1000);
}

function runFor(ms: number): void {
  window.clearTimeout(st.timer);
  st.closesAt = performance.now() + ms;
  st.timer = window.setTimeout(close, ms);
}

/** The call paused: the pick window's time stands still (it stays open, picks still count). */
export function callStoryPause(): void {
  if (!st.open || st.timer === 0 || st.pausedLeft !== null) return;
  window.clearTimeout(st.timer);
  st.timer = 0;
  st.pausedLeft = Math.max(0, st.closesAt - performance.now());
}

/** The call resumed: the pick window runs on for the time it had left. */
export function callStoryResume(): void {
  if (!st.open || st.pausedLeft === null) return;
  const left = st.pausedLeft;
  st.pausedLeft = null;
  runFor(left);
}

/** A key on the call screen: 1–9 picks a story, 0 none, while the pick is open. */
export function callStoryKey(key: string): boolean {
  if (!st.open || !/^[0-9]$/.test(key)) return false;
  const n = Number(key);
  if (n === 0) st.chosen = null;
  else if (st.offered[n - 1]) st.chosen = st.offered[n - 1];
  else return false;
  render();
  storyApi.pickInCall(st.session, st.question, st.chosen?.id ?? null).catch((e) => st.showError(errorText(e)));
  return true;
}

/** The call ended. */
export function callStoryEnd(): void {
  close();
}
