// The level meter shared by every screen: `<div id=X class=meter>` holding `#X-rms` and
// `#X-peak` bars. Colour zones follow Audacity's convention: green, yellow from -12 dBFS,
// red from -6 dBFS.
import { meterPercent } from "./format";

export function showLevel(meterId: string, peakDbfs: number, rmsDbfs: number): void {
  const meter = document.getElementById(meterId);
  const peak = document.getElementById(`${meterId}-peak`);
  const rms = document.getElementById(`${meterId}-rms`);
  if (!meter || !peak || !rms) return;
  peak.style.width = `${meterPercent(peakDbfs)}%`;
  rms.style.width = `${meterPercent(rmsDbfs)}%`;
  meter.dataset.zone = peakDbfs >= -6 ? "red" : peakDbfs >= -12 ? "yellow" : "green";
}
