// The mic check panel: choose the input and the output (remembered by Rust), watch the
// meter (live from the moment the panel opens), record 3 s and hear it back.
import { api, errorKind, errorText, events, localMessage, type MicCheckEvent } from "./api";
import { SILENT_DBFS } from "./format";
import { t, tIn } from "./i18n";
import { showLevel } from "./meter";
import { $ } from "./dom";
import { defineView } from "./views";

/** Told the outcome of each 3 s test: heard is true when something above silence came in. */
let onResult: (heard: boolean, message: string) => void = () => undefined;
export function onMicResult(f: (heard: boolean, message: string) => void): void {
  onResult = f;
}

export function isMicPanelOpen(): boolean {
  return !$("mic-panel").hidden;
}

/** The live meter listens while the panel is open and no 3 s test runs. */
function listen(): void {
  if (!isMicPanelOpen() || ($("mic-test-btn") as HTMLButtonElement).disabled) return;
  api.micListen().catch((e: unknown) => {
    // The 3 s test (or anything else) started first: it has the microphone, no failure.
    if ((errorKind(e) ?? "").startsWith("busy_")) return;
    $("mic-meter").dataset.live = "false";
    $("mic-live").textContent = t("mic.failed", { message: errorText(e) });
  });
}

export async function openMicPanel(): Promise<void> {
  $("mic-panel").hidden = false;
  $("mic-status").textContent = t("mic.idle");
  $("mic-live").textContent = t("mic.live");
  $("mic-meter").dataset.live = "false";
  setMeter(-96, -96);
  listen();
  await Promise.all([
    fillDevices($("input-select") as HTMLSelectElement, api.listInputs),
    fillDevices($("output-select") as HTMLSelectElement, api.listOutputs),
  ]);
  $("mic-test-btn").focus();
}

/** A device name a person can read: ALSA's "sysdefault:CARD=PCH" becomes "PCH: the card's
 * default" (in the UI language); names that are not ALSA's are shown as they are. */
export function deviceLabel(name: string): string {
  if (name === "default") return t("devices.default");
  if (name === "pulse") return t("devices.pulse");
  if (name === "pipewire") return t("devices.pipewire");
  const m = /^([a-z0-9]+):CARD=([^,]+)(?:,DEV=(\d+))?$/i.exec(name);
  if (!m) return name;
  const kind = tIn("devices.kinds", m[1].toLowerCase(), { defaultValue: m[1] });
  return m[3] ? t("devices.cardDev", { card: m[2], kind, dev: m[3] }) : t("devices.card", { card: m[2], kind });
}

/** Lists devices with the system default first; the remembered one is selected. */
async function fillDevices(select: HTMLSelectElement, list: typeof api.listInputs): Promise<void> {
  select.replaceChildren(new Option(t("mic.systemDefault"), ""));
  try {
    const { devices, selected } = await list();
    for (const d of devices) {
      const usable = d.channels !== null && d.sample_rate !== null;
      const format = usable ? t("devices.format", { channels: d.channels, rate: d.sample_rate }) : t("devices.unusable");
      const opt = new Option(`${deviceLabel(d.name)}${d.is_default ? " *" : ""} — ${format}`, d.name);
      opt.title = usable ? d.name : `${d.name}: ${d.config}`; // the raw name (and cpal's reason) one hover away
      opt.disabled = !usable;
      select.append(opt);
    }
    select.value = selected && devices.some((d) => d.name === selected) ? selected : "";
  } catch (e) {
    $("mic-status").textContent = t("mic.failed", { message: errorText(e) });
  }
}

export function closeMicPanel(): void {
  $("mic-panel").hidden = true;
  $("mic-meter").dataset.live = "false";
  void api.micListenStop();
  onClose();
}

let onClose: () => void = () => undefined;
/** Told when the panel closes (the welcome takes the focus back). */
export function onMicClose(f: () => void): void {
  onClose = f;
}

function setMeter(peak: number, rms: number): void {
  showLevel("mic-meter", peak, rms);
}

/** The 3 s test failed, `text` saying why in the UI language. */
function showFailed(text: string): void {
  const status = $("mic-status");
  status.dataset.phase = "failed";
  status.textContent = t("mic.failed", { message: text });
  ($("mic-test-btn") as HTMLButtonElement).disabled = false;
  onResult(false, status.textContent);
  listen();
}

function onEvent(e: MicCheckEvent): void {
  // The live meter (no 3 s test): only the meter and its own line change.
  if (e.phase === "listening") {
    if (!isMicPanelOpen()) return;
    $("mic-meter").dataset.live = "true";
    setMeter(e.peak_dbfs ?? SILENT_DBFS, e.rms_dbfs ?? SILENT_DBFS);
    return;
  }
  if (e.phase === "listen_failed") {
    $("mic-meter").dataset.live = "false";
    $("mic-live").textContent = t("mic.failed", { message: localMessage(e.kind, e.message) });
    return;
  }
  const status = $("mic-status");
  const btn = $("mic-test-btn") as HTMLButtonElement;
  status.dataset.phase = e.phase;
  switch (e.phase) {
    case "recording":
      setMeter(e.peak_dbfs ?? SILENT_DBFS, e.rms_dbfs ?? SILENT_DBFS);
      status.textContent = t("mic.recording", { s: (e.elapsed_ms / 1000).toFixed(1) });
      break;
    case "playing":
      setMeter(-96, -96);
      status.textContent = t("mic.playing");
      break;
    case "done": {
      const peak = e.peak_dbfs ?? SILENT_DBFS;
      const verdict = peak < -30 ? t("mic.quiet") : peak > -3 ? t("mic.loud") : t("mic.good");
      status.textContent = t("mic.done", { db: peak.toFixed(0), verdict });
      btn.disabled = false;
      onResult(peak > -60, status.textContent);
      listen();
      break;
    }
    case "failed":
      showFailed(localMessage(e.kind, e.message));
      break;
  }
}

async function initMicPanel(onNotice: (deviceName: string) => void): Promise<void> {
  await events.onMicCheck(onEvent);
  $("mic-close").addEventListener("click", closeMicPanel);
  ($("input-select") as HTMLSelectElement).addEventListener("change", (ev) => {
    const v = (ev.target as HTMLSelectElement).value;
    void api.setInput(v === "" ? null : v).then(listen); // the meter follows the new input
  });
  ($("output-select") as HTMLSelectElement).addEventListener("change", (ev) => {
    const v = (ev.target as HTMLSelectElement).value;
    void api.setOutput(v === "" ? null : v);
  });
  $("mic-test-btn").addEventListener("click", () => {
    const btn = $("mic-test-btn") as HTMLButtonElement;
    btn.disabled = true;
    $("mic-meter").dataset.live = "false";
    $("mic-status").dataset.phase = "starting";
    api
      .micCheck()
      .then((notice) => {
        if (notice) onNotice(notice);
      })
      .catch((e) => {
        showFailed(errorText(e));
      });
  });
}

// Over the screen that opened it (the question screen, the call's pre-flight; the welcome
// holds it itself): Esc closes it, the panel's own controls take every other key.
defineView({
  name: "mic",
  isOpen: isMicPanelOpen,
  key(e) {
    if (e.key === "Escape") closeMicPanel();
    return true;
  },
  init: (app) => initMicPanel((name) => app.showWarning(t("warn.deviceGone", { name }))),
  open: openMicPanel,
});
