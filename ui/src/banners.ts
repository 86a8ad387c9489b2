// The window's error banner, warning banner and status line, shared by every view (through App).
import { $ } from "./dom";

export function showError(message: string): void {
  $("error-text").textContent = message;
  $("error-banner").hidden = false;
}

export function showWarning(message: string): void {
  $("warning-text").textContent = message;
  $("warning-links").replaceChildren();
  $("warning-banner").hidden = false;
}

export function showStatus(message: string): void {
  $("status-line").textContent = message;
}

export function hideBanners(): void {
  $("error-banner").hidden = true;
  $("warning-banner").hidden = true;
}

export function warningShown(): boolean {
  return !$("warning-banner").hidden;
}

/** Buttons under the warning (e.g. one per question a recovered take belongs to). */
export function warningLinks(links: { label: string; data: Record<string, string>; go: () => void }[]): void {
  const box = $("warning-links");
  box.replaceChildren();
  for (const l of links) {
    const b = document.createElement("button");
    b.className = "banner-link";
    Object.assign(b.dataset, l.data);
    b.textContent = l.label;
    b.addEventListener("click", l.go);
    box.append(b);
  }
}

export function initBanners(): void {
  $("error-close").addEventListener("click", () => ($("error-banner").hidden = true));
  $("warning-close").addEventListener("click", () => ($("warning-banner").hidden = true));
}
