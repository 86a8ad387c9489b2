// Rehearse's window boots here: the UI language, the views (screens.ts), the one key router.
// It names no screen: each view registers itself (views.ts) and is started in layer order,
// the question screen underneath first.
import { api, errorText } from "./api";
import { initBanners, showError, showStatus, showWarning } from "./banners";
import { initI18n, setLang, t, translateStatic, type Lang } from "./i18n";
import "./screens";
import { allViews, routeKey, view, type App, type ViewName } from "./views";
import "./styles.css";

async function main(): Promise<void> {
  const status = await api.appStatus();
  await initI18n(status.ui_language, status.system_language);
  translateStatic();
  initBanners();
  // Buttons lose focus after a click so that Space never "clicks" them a second time.
  document.addEventListener("mouseup", (e) => (e.target as HTMLElement).closest("button")?.blur());
  if (status.error) showError(t("errors.library", { message: errorText(status.error) }));

  const changed: (() => void)[] = [];
  let questions: Awaited<ReturnType<typeof api.listQuestions>> = [];
  try {
    questions = await api.listQuestions();
  } catch (e) {
    if (!status.error) showError(errorText(e));
  }
  const app: App = {
    showError,
    showWarning,
    showStatus,
    changed: () => changed.forEach((f) => f()),
    onChanged: (f) => void changed.push(f),
    open: (name: ViewName) => void view(name)?.open?.(),
    questions: () => questions,
    status,
    async setLanguage(l: Lang) {
      await setLang(l, async (chosen) => {
        await api.setSetting("ui_language", chosen);
      });
      translateStatic();
      for (const v of allViews()) v.relabel?.();
    },
  };
  // The view underneath starts first, the overlays on top of it last (the welcome opens itself).
  for (const v of allViews().reverse()) await v.init?.(app);
  document.addEventListener("keydown", (e) => void routeKey(e));
  document.body.dataset.ready = "true";
}

// A start-up failure is shown, not left as a blank window (and tests can read it).
void main().catch((e: unknown) => {
  const text = e instanceof Error ? `${e.message}\n${e.stack ?? ""}` : errorText(e);
  document.body.dataset.startError = text;
  showError(text);
});
