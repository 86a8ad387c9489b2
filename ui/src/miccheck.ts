// The mic check panel: choose the input and the output (remembered by Rust), watch the
// meter, record 3 s and hear it back.
import { api, errorText, events, type MicCheckEvent } from "./api";
import { t } from "./i18n";
import { showLevel } from "./meter";

const $ = (id: string): HTMLElement => document.getElementById(id) as HTMLElement;

export function isMicPanelOpen(): boolean {
  return !$("mic-panel").hidden;
}

export async function openMicPanel(): Promise<void> {
  $("mic-panel").hidden = false;
  $("mic-status").textContent = t("mic.idle");
  setMeter(-96, -96);
  await Promise.all([
    fillDevices($("input-select") as HTMLSelectElement, api.listInputs),
    fillDevices($("output-select") as HTMLSelectElement, api.listOutputs),
  ]);
  $("mic-test-btn").focus();
}

/** Lists devices with the system default first; the remembered one is selected. */
async function fillDevices(select: HTMLSelectElement, list: typeof api.listInputs): Promise<void> {
  select.replaceChildren(new Option(t("mic.systemDefault"), ""));
  try {
    const { devices, selected } = await list();
    for (const d of devices) {
      const opt = new Option(`${d.name}${d.is_default ? " *" : ""} — ${d.config}`, d.name);
      opt.disabled = d.config.startsWith("unusable");
      select.append(opt);
    }
    select.value = selected && devices.some((d) => d.name === selected) ? selected : "";
  } catch (e) {
    $("mic-status").textContent = t("mic.failed", { message: errorText(e) });
  }
}

export function closeMicPanel(): void {
  $("mic-panel").hidden = true;
}

function setMeter(peak: number, rms: number): void {
  showLevel("mic-meter", peak, rms);
}

function onEvent(e: MicCheckEvent): void {
  const status = $("mic-status");
  const btn = $("mic-test-btn") as HTMLButtonElement;
  status.dataset.phase = e.phase;
  switch (e.phase) {
    case "recording":
      setMeter(e.peak_dbfs, e.rms_dbfs);
      status.textContent = t("mic.recording", { s: (e.elapsed_ms / 1000).toFixed(1) });
      break;
    case "playing":
      setMeter(-96, -96);
      status.textContent = t("mic.playing");
      break;
    case "done": {
      const verdict = e.peak_dbfs < -30 ? t("mic.quiet") : e.peak_dbfs > -3 ? t("mic.loud") : t("mic.good");
      status.textContent = t("mic.done", { db: e.peak_dbfs.toFixed(0), verdict });
      btn.disabled = false;
      break;
    }
    case "failed":
      status.textContent = t("mic.failed", { message: e.message });
      btn.disabled = false;
      break;
  }
}

export async function initMicPanel(onNotice: (deviceName: string) => void): Promise<void> {
  await events.onMicCheck(onEvent);
  $("mic-close").addEventListener("click", closeMicPanel);
  ($("input-select") as HTMLSelectElement).addEventListener("change", (ev) => {
    const v = (ev.target as HTMLSelectElement).value;
    void api.setInput(v === "" ? null : v);
  });
  ($("output-select") as HTMLSelectElement).addEventListener("change", (ev) => {
    const v = (ev.target as HTMLSelectElement).value;
    void api.setOutput(v === "" ? null : v);
  });
  $("mic-test-btn").addEventListener("click", () => {
    const btn = $("mic-test-btn") as HTMLButtonElement;
    btn.disabled = true;
    $("mic-status").dataset.phase = "starting";
    api
      .micCheck()
      .then((notice) => {
        if (notice) onNotice(notice);
      })
      .catch((e) => {
        onEvent({ phase: "failed", message: errorText(e) });
      });
  });
}
